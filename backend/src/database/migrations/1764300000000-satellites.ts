import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Satellites, their task queue and deployments.
 *
 * The queue is a plain table claimed with `FOR UPDATE SKIP LOCKED`: the partial index on pending
 * tasks keeps the claim an index walk over what is claimable, however many finished tasks pile up.
 */
export class Satellites1764300000000 implements MigrationInterface {
  name = 'Satellites1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE satellites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        key_prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL UNIQUE,
        paired boolean NOT NULL DEFAULT false,
        paired_at timestamptz,
        capabilities jsonb NOT NULL DEFAULT '{}',
        base_url varchar(2000),
        version varchar(100),
        last_heartbeat_at timestamptz,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, name)
      );

      CREATE TABLE deployments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        satellite_id uuid NOT NULL REFERENCES satellites(id) ON DELETE RESTRICT,
        artifact_id uuid NOT NULL REFERENCES artifacts(id) ON DELETE RESTRICT,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        format varchar(16) NOT NULL,
        runtime varchar(16),
        status varchar(20) NOT NULL CHECK (status IN ('pending', 'deploying', 'active', 'failed', 'stopping', 'stopped', 'not_responding')),
        status_reason text,
        delete_requested boolean NOT NULL DEFAULT false,
        env jsonb NOT NULL DEFAULT '{}',
        secret_refs jsonb NOT NULL DEFAULT '{}',
        resources jsonb NOT NULL DEFAULT '{}',
        inference_url varchar(2000),
        schema jsonb,
        phases jsonb NOT NULL DEFAULT '{}',
        health jsonb,
        last_health_at timestamptz,
        logs jsonb NOT NULL DEFAULT '[]',
        logs_at timestamptz,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, name)
      );
      CREATE INDEX deployments_orbit_created_idx ON deployments (orbit_id, created_at DESC, id DESC);
      CREATE INDEX deployments_satellite_idx ON deployments (satellite_id, status);

      CREATE TABLE tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        satellite_id uuid REFERENCES satellites(id) ON DELETE CASCADE,
        deployment_id uuid REFERENCES deployments(id) ON DELETE SET NULL,
        type varchar(20) NOT NULL CHECK (type IN ('deploy', 'undeploy', 'load_model')),
        requires_format varchar(16),
        payload jsonb NOT NULL DEFAULT '{}',
        status varchar(20) NOT NULL CHECK (status IN ('pending', 'claimed', 'running', 'succeeded', 'failed', 'cancelled')),
        attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
        locked_by uuid,
        lease_expires_at timestamptz,
        run_after timestamptz NOT NULL DEFAULT now(),
        progress varchar(2000),
        result jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX tasks_claimable_idx ON tasks (orbit_id, run_after, created_at) WHERE status = 'pending';
      CREATE INDEX tasks_leased_idx ON tasks (lease_expires_at) WHERE status IN ('claimed', 'running');
      CREATE INDEX tasks_deployment_idx ON tasks (deployment_id, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tasks; DROP TABLE deployments; DROP TABLE satellites;');
  }
}
