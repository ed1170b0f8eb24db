import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage: the abandoned-upload sweeper looks for artifacts still `pending_upload` past a cut-off;
 * a partial index keeps that a short index range however many artifacts an installation holds.
 */
export class StorageUploads1764520000000 implements MigrationInterface {
  name = 'StorageUploads1764520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX artifacts_pending_upload_idx ON artifacts (created_at, id) WHERE status = 'pending_upload'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX artifacts_pending_upload_idx');
  }
}
