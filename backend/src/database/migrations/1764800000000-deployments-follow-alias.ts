import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deploy by alias: a deployment may follow `track@alias` (`track_id`, `alias`). Moving the alias
 * starts a successor instance (a hidden deployment row with `front_id` = the followed deployment);
 * once healthy the front's `serving_id` points at it and the old instance gets `retire_at`.
 */
export class DeploymentsFollowAlias1764800000000 implements MigrationInterface {
  name = 'DeploymentsFollowAlias1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE deployments
        ADD COLUMN track_id uuid REFERENCES tracks(id) ON DELETE SET NULL,
        ADD COLUMN alias varchar(63),
        ADD COLUMN front_id uuid REFERENCES deployments(id) ON DELETE CASCADE,
        ADD COLUMN serving_id uuid REFERENCES deployments(id) ON DELETE SET NULL,
        ADD COLUMN retire_at timestamptz;
      CREATE INDEX deployments_follow_idx ON deployments (track_id, alias) WHERE track_id IS NOT NULL;
      CREATE INDEX deployments_front_idx ON deployments (front_id) WHERE front_id IS NOT NULL;
      CREATE INDEX deployments_retire_idx ON deployments (retire_at) WHERE retire_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE deployments DROP COLUMN retire_at, DROP COLUMN serving_id, DROP COLUMN front_id,
        DROP COLUMN alias, DROP COLUMN track_id;
    `);
  }
}
