import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registry depth: tracks (registered models) with immutable, gap-free versions, aliases with a
 * full move history and per-alias rules, artifact lineage with run information, model cards.
 *
 * Version numbers come from `tracks.next_version`, bumped under the track row's lock inside the
 * transaction that inserts the version: a failed insert rolls the bump back, so numbers never
 * skip. `UNIQUE (track_id, name)` on aliases is what makes "one version per alias" hold whatever
 * the application does; a trigger refuses any UPDATE of a version row.
 */
export class Tracks1764500000000 implements MigrationInterface {
  name = 'Tracks1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tracks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(5000) NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        next_version integer NOT NULL DEFAULT 1,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, name)
      );
      CREATE INDEX tracks_orbit_created_idx ON tracks (orbit_id, created_at DESC, id DESC);
      CREATE INDEX tracks_tags_idx ON tracks USING gin (tags);

      CREATE TABLE track_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        track_id uuid NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        artifact_id uuid NOT NULL REFERENCES artifacts(id) ON DELETE RESTRICT,
        note varchar(2000) NOT NULL DEFAULT '',
        added_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (track_id, version),
        UNIQUE (track_id, artifact_id)
      );
      CREATE INDEX track_versions_artifact_idx ON track_versions (artifact_id);

      CREATE FUNCTION track_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'track versions are immutable' USING ERRCODE = 'check_violation';
      END $$;
      CREATE TRIGGER track_versions_no_update BEFORE UPDATE ON track_versions
        FOR EACH ROW EXECUTE FUNCTION track_versions_immutable();

      CREATE TABLE track_aliases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        track_id uuid NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        name varchar(63) NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
        version_id uuid NOT NULL REFERENCES track_versions(id),
        moved_by uuid REFERENCES users(id) ON DELETE SET NULL,
        moved_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (track_id, name)
      );
      CREATE INDEX track_aliases_orbit_idx ON track_aliases (orbit_id, name);

      CREATE TABLE track_alias_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        track_id uuid NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        alias varchar(63) NOT NULL,
        from_version integer,
        to_version integer,
        outcome varchar(16) NOT NULL CHECK (outcome IN ('moved', 'refused', 'removed')),
        rule varchar(200),
        reason varchar(2000),
        actor_id uuid,
        actor_label varchar(320) NOT NULL DEFAULT '',
        request_id varchar(64),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX track_alias_events_track_idx ON track_alias_events (track_id, created_at DESC, id DESC);

      CREATE TABLE track_alias_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        track_id uuid NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        alias varchar(63) NOT NULL CHECK (alias ~ '^[a-z][a-z0-9-]{0,62}$'),
        allowed_roles text[],
        require_schema_match boolean NOT NULL DEFAULT false,
        metric_requirements jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (track_id, alias)
      );

      ALTER TABLE artifacts ADD COLUMN run_info jsonb NOT NULL DEFAULT '{}';

      CREATE TABLE artifact_lineage (
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        artifact_id uuid NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        parent_id uuid NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        relation varchar(32) NOT NULL CHECK (relation IN ('dataset', 'base_model', 'parent_checkpoint', 'other')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (artifact_id, parent_id),
        CHECK (artifact_id <> parent_id)
      );
      CREATE INDEX artifact_lineage_parent_idx ON artifact_lineage (parent_id);

      CREATE TABLE model_cards (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        orbit_id uuid NOT NULL,
        artifact_id uuid UNIQUE REFERENCES artifacts(id) ON DELETE CASCADE,
        track_id uuid UNIQUE REFERENCES tracks(id) ON DELETE CASCADE,
        markdown text NOT NULL,
        updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((artifact_id IS NULL) <> (track_id IS NULL))
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE model_cards, artifact_lineage, track_alias_rules, track_alias_events, track_aliases;
      DROP TRIGGER track_versions_no_update ON track_versions;
      DROP FUNCTION track_versions_immutable();
      DROP TABLE track_versions, tracks;
      ALTER TABLE artifacts DROP COLUMN run_info;
    `);
  }
}
