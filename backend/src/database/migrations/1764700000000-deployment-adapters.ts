import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * LoRA adapters of a deployment: `[{ name, artifactId }]`. The satellite downloads each adapter
 * artifact (by signed URL, like the model) and the model server serves it as the model `name`.
 */
export class DeploymentAdapters1764700000000 implements MigrationInterface {
  name = 'DeploymentAdapters1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN adapters jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE deployments DROP COLUMN adapters');
  }
}
