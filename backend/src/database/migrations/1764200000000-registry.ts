import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registry: multipart bookkeeping and the indexes behind the orbit-wide artifact list.
 *
 * Sorting by an arbitrary metric key cannot use a per-key expression index (keys are whatever
 * users log), so numeric metrics are mirrored by a trigger into `artifact_metrics`, one row per
 * (artifact, key), indexed `(orbit_id, key, value, artifact_id)`: a page sorted by any metric is an
 * ordered index walk that stops after `limit` matches, whatever the orbit's size. The trigger keeps
 * the mirror exact for every writer (the API, bulk SQL loads, restores).
 */
export class Registry1764200000000 implements MigrationInterface {
  name = 'Registry1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE artifacts ADD COLUMN upload_part_size bigint;

      CREATE INDEX artifacts_orbit_updated_idx ON artifacts (orbit_id, updated_at DESC, id DESC);
      CREATE INDEX artifacts_orbit_name_idx ON artifacts (orbit_id, name, id);
      CREATE INDEX artifacts_orbit_size_idx ON artifacts (orbit_id, size, id);
      CREATE INDEX collections_orbit_created_idx ON collections (orbit_id, created_at DESC, id DESC);
      CREATE INDEX orbit_secrets_orbit_idx ON orbit_secrets (orbit_id, name);

      CREATE TABLE artifact_metrics (
        artifact_id uuid NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL,
        key text NOT NULL,
        value double precision NOT NULL,
        PRIMARY KEY (artifact_id, key)
      );
      CREATE INDEX artifact_metrics_sort_idx ON artifact_metrics (orbit_id, key, value, artifact_id);

      CREATE FUNCTION artifacts_sync_metrics() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          DELETE FROM artifact_metrics WHERE artifact_id = NEW.id;
        END IF;
        INSERT INTO artifact_metrics (artifact_id, orbit_id, key, value)
          SELECT NEW.id, NEW.orbit_id, e.key, (e.value::text)::double precision
            FROM jsonb_each(NEW.metrics) e
           WHERE CASE WHEN jsonb_typeof(e.value) = 'number' THEN abs((e.value::text)::numeric) < 1e300 ELSE false END;
        RETURN NULL;
      END $$;
      CREATE TRIGGER artifacts_sync_metrics_ins AFTER INSERT ON artifacts
        FOR EACH ROW EXECUTE FUNCTION artifacts_sync_metrics();
      CREATE TRIGGER artifacts_sync_metrics_upd AFTER UPDATE OF metrics, orbit_id ON artifacts
        FOR EACH ROW WHEN (OLD.metrics IS DISTINCT FROM NEW.metrics OR OLD.orbit_id IS DISTINCT FROM NEW.orbit_id)
        EXECUTE FUNCTION artifacts_sync_metrics();

      INSERT INTO artifact_metrics (artifact_id, orbit_id, key, value)
        SELECT a.id, a.orbit_id, e.key, (e.value::text)::double precision
          FROM artifacts a, jsonb_each(a.metrics) e
         WHERE CASE WHEN jsonb_typeof(e.value) = 'number' THEN abs((e.value::text)::numeric) < 1e300 ELSE false END;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER artifacts_sync_metrics_upd ON artifacts;
      DROP TRIGGER artifacts_sync_metrics_ins ON artifacts;
      DROP FUNCTION artifacts_sync_metrics();
      DROP TABLE artifact_metrics;
      DROP INDEX orbit_secrets_orbit_idx, collections_orbit_created_idx, artifacts_orbit_size_idx,
        artifacts_orbit_name_idx, artifacts_orbit_updated_idx;
      ALTER TABLE artifacts DROP COLUMN upload_part_size;
    `);
  }
}
