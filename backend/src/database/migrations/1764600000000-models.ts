import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Models (llmariner's model-manager on Apogee's pieces): base models loaded by satellites from
 * Hugging Face, S3, an Ollama registry or an artifact, and fine-tuned adapters on them.
 *
 * `model_id` is the id a client asked for and keeps for life (no rewrite when loading finishes);
 * it is unique per orbit, so nothing leaks across orbits by id. Each file of a model is an
 * artifact of the orbit (`model_files`), uploaded through the artifact protocol, so loads resume
 * file by file and deleting a model removes exactly its files. `model_usage` keeps one row per
 * gateway call (tokens from the answer's `usage`, latency).
 */
export class Models1764600000000 implements MigrationInterface {
  name = 'Models1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL REFERENCES orbits(id) ON DELETE CASCADE,
        model_id varchar(300) NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('base', 'fine_tuned')),
        source varchar(16) NOT NULL CHECK (source IN ('hugging_face', 'object_store', 'ollama', 'artifact', 'fine_tuning')),
        source_ref varchar(1000) NOT NULL,
        options jsonb NOT NULL DEFAULT '{}',
        parent_id uuid REFERENCES models(id) ON DELETE CASCADE,
        base_model_id varchar(300),
        adapter varchar(8) CHECK (adapter IN ('lora', 'qlora')),
        published boolean NOT NULL DEFAULT true,
        status varchar(16) NOT NULL CHECK (status IN ('REQUESTED', 'LOADING', 'SUCCEEDED', 'FAILED')),
        status_message text,
        failure_reason text,
        formats text[] NOT NULL DEFAULT '{}',
        primary_path varchar(1000),
        config jsonb NOT NULL DEFAULT '{}',
        activation varchar(8) NOT NULL DEFAULT 'inactive' CHECK (activation IN ('active', 'inactive')),
        deployment_ids uuid[] NOT NULL DEFAULT '{}',
        task_id uuid,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        loaded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (orbit_id, model_id)
      );
      CREATE INDEX models_org_idx ON models (organization_id);
      CREATE INDEX models_task_idx ON models (task_id);

      CREATE TABLE model_files (
        model_uuid uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        path varchar(1000) NOT NULL,
        size bigint NOT NULL,
        sha256 char(64) NOT NULL,
        artifact_id uuid,
        uploaded boolean NOT NULL DEFAULT false,
        owned boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_uuid, path)
      );
      CREATE INDEX model_files_artifact_idx ON model_files (artifact_id);

      CREATE TABLE model_usage (
        id bigserial PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        orbit_id uuid NOT NULL,
        model_id varchar(300) NOT NULL,
        api_key_id uuid,
        user_id uuid,
        endpoint varchar(32) NOT NULL,
        stream boolean NOT NULL,
        status integer NOT NULL,
        prompt_tokens integer NOT NULL DEFAULT 0,
        completion_tokens integer NOT NULL DEFAULT 0,
        latency_ms integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX model_usage_org_idx ON model_usage (organization_id, created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_usage; DROP TABLE model_files; DROP TABLE models;');
  }
}
