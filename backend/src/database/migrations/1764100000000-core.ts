import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts, tenancy, registry, secrets and audit: the platform core. */
export class Core1764100000000 implements MigrationInterface {
  name = 'Core1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        full_name varchar(200) NOT NULL DEFAULT '',
        password_hash text NOT NULL,
        is_platform_admin boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_uq ON users (lower(email));

      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash char(64) NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        replaced_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

      CREATE TABLE signin_failures (
        key varchar(400) PRIMARY KEY,
        failures int NOT NULL,
        window_started_at timestamptz NOT NULL
      );

      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE organization_members (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, user_id)
      );
      CREATE INDEX organization_members_user_idx ON organization_members (user_id);

      CREATE TABLE organization_invites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        email varchar(320) NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('admin', 'member')),
        invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX organization_invites_email_uq ON organization_invites (organization_id, lower(email));

      CREATE TABLE storage_backends (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('local', 's3', 'azure')),
        config jsonb NOT NULL DEFAULT '{}',
        credentials_encrypted text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, name)
      );

      CREATE TABLE orbits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        storage_backend_id uuid NOT NULL REFERENCES storage_backends(id) ON DELETE RESTRICT,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        max_artifact_bytes bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, name)
      );

      CREATE TABLE orbit_members (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('admin', 'member')),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, user_id)
      );
      CREATE INDEX orbit_members_user_idx ON orbit_members (user_id);

      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL UNIQUE,
        organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid REFERENCES orbits(id) ON DELETE CASCADE,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX api_keys_user_idx ON api_keys (user_id);

      CREATE TABLE collections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        type varchar(16) NOT NULL CHECK (type IN ('model', 'dataset', 'experiment', 'mixed')),
        tags text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, name)
      );

      CREATE TABLE artifacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        collection_id uuid NOT NULL REFERENCES collections(id) ON DELETE RESTRICT,
        storage_backend_id uuid NOT NULL REFERENCES storage_backends(id) ON DELETE RESTRICT,
        name varchar(200) NOT NULL,
        description varchar(5000) NOT NULL DEFAULT '',
        type varchar(16) NOT NULL CHECK (type IN ('model', 'dataset', 'experiment')),
        format varchar(16) NOT NULL,
        file_name varchar(255) NOT NULL,
        content_type varchar(200) NOT NULL DEFAULT 'application/octet-stream',
        size bigint NOT NULL CHECK (size >= 0),
        sha256 char(64) NOT NULL,
        storage_key varchar(1024) NOT NULL,
        upload_id varchar(1024),
        status varchar(20) NOT NULL CHECK (status IN ('pending_upload', 'uploaded', 'upload_failed', 'pending_deletion')),
        status_reason varchar(2000),
        manifest jsonb NOT NULL DEFAULT '{}',
        metrics jsonb NOT NULL DEFAULT '{}',
        tags text[] NOT NULL DEFAULT '{}',
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        uploaded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX artifacts_orbit_created_idx ON artifacts (orbit_id, created_at DESC, id DESC);
      CREATE INDEX artifacts_collection_idx ON artifacts (collection_id, created_at DESC);
      CREATE INDEX artifacts_tags_idx ON artifacts USING gin (tags);
      CREATE INDEX artifacts_metrics_idx ON artifacts USING gin (metrics jsonb_path_ops);

      CREATE TABLE orbit_secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        name varchar(128) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        value_encrypted text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, name)
      );

      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid,
        actor_type varchar(16) NOT NULL,
        actor_id uuid,
        actor_label varchar(320) NOT NULL DEFAULT '',
        action varchar(64) NOT NULL,
        resource_type varchar(32) NOT NULL,
        resource_id varchar(200),
        details jsonb NOT NULL DEFAULT '{}',
        request_id varchar(64),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_events_org_idx ON audit_events (organization_id, created_at DESC, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_events, orbit_secrets, artifacts, collections, api_keys, orbit_members, orbits,
        storage_backends, organization_invites, organization_members, organizations, signin_failures,
        refresh_tokens, users;
    `);
  }
}
