import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CollectionsService } from '../collections/collections.service.js';
import {
  systemContext,
  type RequestContext,
  type SatellitePrincipal,
} from '../common/auth/principal.js';
import {
  Conflict,
  DomainError,
  ValidationFailed,
  ensureError,
  isUniqueViolation,
  type FieldProblem,
} from '../common/errors.js';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { OrbitSecretsService } from '../secrets/orbit-secrets.service.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import type { Task } from '../tasks/task.types.js';
import {
  MODEL_SOURCES,
  SUFFIX,
  type ModelConfigDto,
  type ModelCreateDto,
  type ModelDeletedDto,
  type ModelFileCreateDto,
  type ModelFileDto,
  type ModelListQueryDto,
  type ModelListResponseDto,
  type ModelLoadFileResponseDto,
  type ModelLoadSpecDto,
  type ModelResponseDto,
  type ModelStatus,
} from './dto/model.dto.js';
import { ModelAlreadyExists, ModelNotFound, ModelStateConflict } from './model-errors.js';
import { ObjectStoreSource } from './object-store.js';

/** Hugging Face `org/repo` or `org/repo/path/to/file`. */
export const HF_ID =
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._\-/]*)?$/;
/** Ollama `name:tag` (optionally `namespace/name:tag`). */
export const OLLAMA_ID =
  /^[a-z0-9][a-z0-9._-]{0,99}(\/[a-z0-9][a-z0-9._-]{0,99})?:[A-Za-z0-9._-]{1,100}$/;
/** Any model id: path-like, no empty segments, no `..`. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,299}$/;
const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Formats a deployment can serve (the model server's). */
const SERVABLE = ['gguf', 'onnx'];

/**
 * Model-server flags a model's `config.extraArgs` may set (`--flag N` or `--flag=N`), each an
 * integer of at least the given minimum. Anything else is refused at activation (400).
 */
export const MODEL_SERVER_EXTRA_ARGS: Record<string, number> = {
  '--threads': 0,
  '--context-size': 0,
  '--gpu-layers': -1,
  '--parallel': 1,
};

/** Validates `config.extraArgs`; returns them normalized to `--flag=N` tokens. */
export function parseExtraArgs(extraArgs: readonly string[]): string[] {
  const tokens = extraArgs.flatMap((a) => a.trim().split(/\s+/)).filter(Boolean);
  const out: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const eq = t.indexOf('=');
    const flag = eq > 0 ? t.slice(0, eq) : t;
    const min = MODEL_SERVER_EXTRA_ARGS[flag];
    if (min === undefined) {
      problems.push(
        `unknown argument ${flag}; accepted: ${Object.keys(MODEL_SERVER_EXTRA_ARGS).join(', ')}`,
      );
      continue;
    }
    const value = eq > 0 ? t.slice(eq + 1) : tokens[++i];
    if (value === undefined || !/^-?\d+$/.test(value) || Number(value) < min)
      problems.push(`${flag} needs an integer of at least ${min}`);
    else out.push(`${flag}=${value}`);
  }
  if (problems.length)
    throw new ValidationFailed('Invalid config.extraArgs', [
      { field: 'config.extraArgs', problems },
    ]);
  return out;
}
const COLLECTION_NAME = 'models';
/** Gateway usage rows are written at least this often, ms. */
const USAGE_FLUSH_MS = 500;
const USAGE_BATCH = 200;

/** One gateway call, as recorded. */
export interface UsageRecord {
  orgId: string;
  orbitId: string;
  modelId: string;
  apiKeyId: string | null;
  userId: string | null;
  endpoint: string;
  stream: boolean;
  status: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

export interface ModelRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  model_id: string;
  kind: 'base' | 'fine_tuned';
  source: string;
  source_ref: string;
  options: {
    revision?: string;
    tokenSecret?: string;
    storageBackendId?: string;
    splitGguf?: boolean;
    collectionId?: string;
  };
  parent_id: string | null;
  base_model_id: string | null;
  adapter: string | null;
  published: boolean;
  status: ModelStatus;
  status_message: string | null;
  failure_reason: string | null;
  formats: string[];
  primary_path: string | null;
  config: ModelConfigDto;
  activation: 'active' | 'inactive';
  deployment_ids: string[];
  task_id: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

interface FileRow {
  model_uuid: string;
  path: string;
  size: string | number;
  sha256: string;
  artifact_id: string | null;
  uploaded: boolean;
  owned: boolean;
}

/** Where an active model's inference goes: the deployments serving it. */
export interface ModelRoute {
  model: ModelRow;
  deploymentIds: string[];
}

/**
 * Models of an orbit (llmariner's model-manager): base models loaded by satellites with the
 * loader capability through `load_model` tasks (REQUESTED → LOADING → SUCCEEDED | FAILED, a lost
 * lease resumes elsewhere), fine-tuned adapters with a publish step, activation as deployments.
 * A model keeps the id its client asked for; every lookup is by (orbit, id).
 */
@Injectable()
export class ModelsService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Models');
  private readonly usageBuffer: UsageRecord[] = [];
  private usageTimer: NodeJS.Timeout | undefined;
  /** When each model last changed activation or config here (orbit + id → ms), so gateway caches drop it. */
  private readonly changes = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly artifacts: ArtifactsService,
    private readonly collections: CollectionsService,
    private readonly deployments: DeploymentsService,
    private readonly secrets: OrbitSecretsService,
    private readonly tasks: TasksService,
    private readonly objectStore: ObjectStoreSource,
    private readonly webhooks: WebhooksService,
  ) {}

  onModuleInit(): void {
    this.tasks.registerHooks('load_model', {
      onClaimed: (m, t) => this.onLoadClaimed(m, t),
      onProgress: (m, t) => this.onLoadProgress(m, t),
      onSucceeded: (m, t) => this.onLoadSucceeded(m, t),
      onFailed: (m, t) => this.onLoadFailed(m, t),
    });
    this.artifacts.registerDependencyCheck('models', async (m, a) => {
      const rows: { model_id: string }[] = await m.query(
        'SELECT DISTINCT md.model_id FROM model_files f JOIN models md ON md.id = f.model_uuid WHERE f.artifact_id = $1 AND md.orbit_id = $2 ORDER BY 1',
        [a.id, a.orbitId],
      );
      return rows.map((r) => `model ${r.model_id}`);
    });
  }

  /* ---------------- create ---------------- */

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: ModelCreateDto,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'create']);
    if (dto.baseModelId !== undefined || dto.suffix !== undefined)
      return this.createFineTuned(ctx, orgId, orbitId, dto);
    const problems: FieldProblem[] = [];
    const source = dto.source;
    if (!source)
      problems.push({
        field: 'source',
        problems: [`required; one of ${MODEL_SOURCES.join(', ')}`],
      });
    else if (!(MODEL_SOURCES as readonly string[]).includes(source))
      problems.push({
        field: 'source',
        problems: [`unknown source ${source}; one of ${MODEL_SOURCES.join(', ')}`],
      });
    const id = dto.id?.trim() ?? '';
    if (!id) problems.push({ field: 'id', problems: ['required'] });
    else if (!validId(id))
      problems.push({
        field: 'id',
        problems: ['letters, digits, . _ - : and / (no empty segment, no ..), at most 300'],
      });
    const location = dto.location?.trim() || id;
    if (problems.length) throw new ValidationFailed('Invalid model', problems);
    switch (source as (typeof MODEL_SOURCES)[number]) {
      case 'hugging_face':
        if (
          !HF_ID.test(location) ||
          location.includes('..') ||
          location.includes('//') ||
          location.endsWith('/')
        )
          problems.push({
            field: dto.location ? 'location' : 'id',
            problems: ['a Hugging Face id is org/repo or org/repo/file'],
          });
        break;
      case 'ollama':
        if (!OLLAMA_ID.test(location))
          problems.push({
            field: dto.location ? 'location' : 'id',
            problems: ['an Ollama model is name:tag'],
          });
        break;
      case 'object_store':
        if (!S3_URL.test(location))
          problems.push({
            field: 'location',
            problems: ['an object store location is s3://bucket/prefix'],
          });
        if (!dto.storageBackendId)
          problems.push({
            field: 'storageBackendId',
            problems: [
              'required for object_store: the organization storage backend whose credentials read the bucket',
            ],
          });
        break;
      case 'artifact':
        if (!UUID.test(location))
          problems.push({
            field: 'location',
            problems: ['the id of an uploaded artifact of this orbit'],
          });
        break;
    }
    if (problems.length) throw new ValidationFailed('Invalid model source', problems);
    if (source === 'object_store')
      await this.objectStore.assertUsable(ctx, orgId, orbitId, dto.storageBackendId!);
    if (dto.tokenSecret) {
      const known = (await this.secrets.list(ctx, orgId, orbitId)).some(
        (s) => s.name === dto.tokenSecret,
      );
      if (!known)
        throw new ValidationFailed('Unknown orbit secret', [
          { field: 'tokenSecret', problems: [`no secret named ${dto.tokenSecret} in this orbit`] },
        ]);
    }
    if (source === 'artifact')
      return this.createFromArtifact(ctx, orgId, orbitId, id, location, dto.config ?? {});
    const collectionId = await this.modelsCollection(ctx, orgId, orbitId);
    const uuid = await this.db.transaction(async (m) => {
      const rowId = await this.insert(m, {
        orgId,
        orbitId,
        modelId: id,
        kind: 'base',
        source: source!,
        sourceRef: location,
        options: {
          revision: dto.revision ?? 'main',
          tokenSecret: dto.tokenSecret,
          splitGguf: dto.splitGguf ?? false,
          collectionId,
          storageBackendId: dto.storageBackendId,
        },
        status: 'REQUESTED',
        config: dto.config ?? {},
        createdBy: userOf(ctx),
      });
      await this.enqueueLoad(m, orgId, orbitId, rowId);
      await this.audit.record(
        ctx,
        {
          action: 'model.create',
          resourceType: 'model',
          resourceId: rowId,
          organizationId: orgId,
          orbitId,
          details: { id, source, location },
        },
        m,
      );
      return rowId;
    });
    this.tasks.wake(orbitId);
    return this.response(await this.byUuid(uuid));
  }

  private async createFromArtifact(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    artifactId: string,
    config: ModelConfigDto,
  ): Promise<ModelResponseDto> {
    const a = await this.artifacts.get(ctx, orgId, orbitId, artifactId);
    if (a.status !== 'uploaded')
      throw new ModelStateConflict(
        'artifact_not_uploaded',
        `Artifact ${a.name} is ${a.status}; only uploaded artifacts can become models`,
      );
    const formats = artifactFormats(a.format);
    if (!formats.length)
      throw new ValidationFailed('The artifact is not a model', [
        {
          field: 'location',
          problems: [`format ${a.format} is not a model format (gguf, onnx, safetensors, hf-dir)`],
        },
      ]);
    const uuid = await this.db.transaction(async (m) => {
      const rowId = await this.insert(m, {
        orgId,
        orbitId,
        modelId: id,
        kind: 'base',
        source: 'artifact',
        sourceRef: artifactId,
        options: {},
        status: 'SUCCEEDED',
        config,
        createdBy: userOf(ctx),
      });
      await m.query(
        `UPDATE models SET formats = $2, primary_path = $3, loaded_at = now() WHERE id = $1`,
        [rowId, formats, a.fileName],
      );
      await m.query(
        'INSERT INTO model_files (model_uuid, path, size, sha256, artifact_id, uploaded, owned) VALUES ($1, $2, $3, $4, $5, true, false)',
        [rowId, a.fileName, a.size, a.sha256, a.id],
      );
      await this.audit.record(
        ctx,
        {
          action: 'model.create',
          resourceType: 'model',
          resourceId: rowId,
          organizationId: orgId,
          orbitId,
          details: { id, source: 'artifact', artifactId },
        },
        m,
      );
      return rowId;
    });
    return this.response(await this.byUuid(uuid));
  }

  private async createFineTuned(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: ModelCreateDto,
  ): Promise<ModelResponseDto> {
    const problems: FieldProblem[] = [];
    if (!dto.baseModelId)
      problems.push({ field: 'baseModelId', problems: ['required for a fine-tuned model'] });
    if (!dto.suffix)
      problems.push({ field: 'suffix', problems: ['required for a fine-tuned model'] });
    else if (!SUFFIX.test(dto.suffix))
      problems.push({
        field: 'suffix',
        problems: ['lowercase letters, digits and -, 1 to 40 characters'],
      });
    if (dto.source !== undefined && dto.source !== 'fine_tuning')
      problems.push({
        field: 'source',
        problems: ['a fine-tuned model has no source; its files are uploaded'],
      });
    if (problems.length) throw new ValidationFailed('Invalid fine-tuned model', problems);
    const base = await this.find(orbitId, dto.baseModelId!);
    if (!base || base.kind !== 'base')
      throw new ValidationFailed('Unknown base model', [
        { field: 'baseModelId', problems: [`no base model ${dto.baseModelId} in this orbit`] },
      ]);
    const id = `ft:${base.model_id}:${dto.suffix}`;
    if (id.length > 300)
      throw new ValidationFailed('The fine-tuned model id is too long', [
        { field: 'suffix', problems: ['ft:<base>:<suffix> must fit in 300 characters'] },
      ]);
    const collectionId = await this.modelsCollection(ctx, orgId, orbitId);
    const uuid = await this.db.transaction(async (m) => {
      const rowId = await this.insert(m, {
        orgId,
        orbitId,
        modelId: id,
        kind: 'fine_tuned',
        source: 'fine_tuning',
        sourceRef: base.model_id,
        options: { collectionId },
        status: 'REQUESTED',
        config: dto.config ?? {},
        createdBy: userOf(ctx),
        baseModelId: base.model_id,
        adapter: dto.adapter ?? 'lora',
        published: false,
      });
      await this.audit.record(
        ctx,
        {
          action: 'model.create',
          resourceType: 'model',
          resourceId: rowId,
          organizationId: orgId,
          orbitId,
          details: { id, baseModelId: base.model_id, adapter: dto.adapter ?? 'lora' },
        },
        m,
      );
      return rowId;
    });
    return this.response(await this.byUuid(uuid));
  }

  private async insert(
    m: EntityManager,
    r: {
      orgId: string;
      orbitId: string;
      modelId: string;
      kind: string;
      source: string;
      sourceRef: string;
      options: object;
      status: ModelStatus;
      config: ModelConfigDto;
      createdBy: string | null;
      baseModelId?: string;
      adapter?: string;
      published?: boolean;
      parentId?: string;
    },
  ): Promise<string> {
    try {
      const rows: { id: string }[] = await m.query(
        `INSERT INTO models (organization_id, orbit_id, model_id, kind, source, source_ref, options, status, config, created_by, base_model_id, adapter, published, parent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
        [
          r.orgId,
          r.orbitId,
          r.modelId,
          r.kind,
          r.source,
          r.sourceRef,
          r.options,
          r.status,
          r.config,
          r.createdBy,
          r.baseModelId ?? null,
          r.adapter ?? null,
          r.published ?? true,
          r.parentId ?? null,
        ],
      );
      return rows[0]!.id;
    } catch (e) {
      if (isUniqueViolation(e)) throw new ModelAlreadyExists(r.modelId);
      throw e;
    }
  }

  private async enqueueLoad(
    m: EntityManager,
    orgId: string,
    orbitId: string,
    uuid: string,
  ): Promise<void> {
    const taskId = await this.tasks.enqueue(m, {
      organizationId: orgId,
      orbitId,
      type: 'load_model',
      payload: { modelUuid: uuid },
      maxAttempts: 5,
    });
    await m.query(
      `UPDATE models SET task_id = $2, status = 'REQUESTED', status_message = NULL, failure_reason = NULL, updated_at = now() WHERE id = $1`,
      [uuid, taskId],
    );
  }

  /** The orbit's `models` collection, where model files live as artifacts; created on first use. */
  private async modelsCollection(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
  ): Promise<string> {
    const find = async () => {
      const rows: { id: string }[] = await this.db.query(
        'SELECT id FROM collections WHERE orbit_id = $1 AND name = $2',
        [orbitId, COLLECTION_NAME],
      );
      return rows[0]?.id ?? null;
    };
    const found = await find();
    if (found) return found;
    try {
      return (
        await this.collections.create(ctx, orgId, orbitId, {
          name: COLLECTION_NAME,
          type: 'model',
          description: 'Files of the orbit’s models (loaded or uploaded); managed by Apogee.',
        })
      ).id;
    } catch (e) {
      const again = await find();
      if (again) return again;
      throw e;
    }
  }

  /* ---------------- read ---------------- */

  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    q: ModelListQueryDto,
  ): Promise<ModelListResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'list']);
    const limit = q.limit ?? 100;
    const rows: ModelRow[] = await this.db.query(
      `SELECT * FROM models WHERE orbit_id = $1
          AND ($2 OR status = 'SUCCEEDED') AND ($3 OR published) AND ($4::text IS NULL OR model_id > $4)
        ORDER BY model_id LIMIT $5`,
      [
        orbitId,
        q.include_loading === 'true',
        q.include_unpublished === 'true',
        q.after ?? null,
        limit + 1,
      ],
    );
    const page = rows.slice(0, limit);
    const files = await this.filesOf(page.map((r) => r.id));
    return {
      object: 'list',
      data: page.map((r) => toResponse(r, files.get(r.id) ?? [])),
      has_more: rows.length > limit,
    };
  }

  /** A model by id; unpublished fine-tuned models only with `includeUnpublished`. */
  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
    opts: { includeUnpublished?: boolean } = {},
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'read']);
    const row = await this.find(orbitId, modelId);
    if (!row || (!row.published && !opts.includeUnpublished)) throw new ModelNotFound(modelId);
    return this.response(row);
  }

  async updateConfig(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
    config: ModelConfigDto,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'update']);
    const row = await this.mustFind(orbitId, modelId);
    await this.db.transaction(async (m) => {
      await m.query('UPDATE models SET config = $2, updated_at = now() WHERE id = $1', [
        row.id,
        config,
      ]);
      await this.audit.record(
        ctx,
        {
          action: 'model.update',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId, config },
        },
        m,
      );
    });
    this.touched(orbitId, modelId);
    return this.response(await this.byUuid(row.id));
  }

  /* ---------------- lifecycle ---------------- */

  /** Loads a FAILED model again (files already stored are kept and skipped). */
  async retry(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'update']);
    const row = await this.mustFind(orbitId, modelId);
    if (row.kind !== 'base' || row.source === 'artifact')
      throw new ModelStateConflict(
        'model_not_loadable',
        `Model ${modelId} is not loaded by a satellite`,
      );
    await this.db.transaction(async (m) => {
      const locked: ModelRow[] = await m.query('SELECT * FROM models WHERE id = $1 FOR UPDATE', [
        row.id,
      ]);
      if (locked[0]!.status !== 'FAILED')
        throw new ModelStateConflict(
          'model_not_failed',
          `Model ${modelId} is ${locked[0]!.status}; only FAILED loads can be retried`,
          { status: locked[0]!.status },
        );
      await this.enqueueLoad(m, orgId, orbitId, row.id);
      await this.audit.record(
        ctx,
        {
          action: 'model.retry',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId },
        },
        m,
      );
    });
    this.tasks.wake(orbitId);
    return this.response(await this.byUuid(row.id));
  }

  /** Registers a file of a fine-tuned model and returns its artifact upload plan. */
  async addFile(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
    dto: ModelFileCreateDto,
  ): Promise<ModelLoadFileResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'update']);
    const row = await this.mustFind(orbitId, modelId);
    if (row.kind !== 'fine_tuned' || row.published)
      throw new ModelStateConflict(
        'model_files_closed',
        `Files are uploaded to unpublished fine-tuned models only`,
      );
    const created = await this.artifacts.create(ctx, orgId, orbitId, row.options.collectionId!, {
      name: artifactName(modelId, dto.path),
      fileName: dto.path.split('/').pop()!,
      size: dto.size,
      sha256: dto.sha256.toLowerCase(),
      type: 'model',
      tags: ['apogee-model'],
    });
    await this.putFile(
      row.id,
      dto.path,
      dto.size,
      dto.sha256.toLowerCase(),
      created.artifact.id,
      true,
    );
    return {
      done: false,
      artifactId: created.artifact.id,
      upload: created.upload as unknown as Record<string, unknown>,
    };
  }

  /** Publishes a fine-tuned model once every registered file is uploaded: it becomes visible and SUCCEEDED. */
  async publish(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'update']);
    const row = await this.mustFind(orbitId, modelId);
    if (row.kind !== 'fine_tuned')
      throw new ModelStateConflict('model_not_fine_tuned', `Only fine-tuned models are published`);
    if (row.published) return this.response(row);
    const files = (await this.filesOf([row.id])).get(row.id) ?? [];
    if (!files.length)
      throw new ModelStateConflict(
        'model_has_no_files',
        `Upload the adapter files of ${modelId} before publishing`,
      );
    for (const f of files) {
      if (!f.artifact_id)
        throw new ModelStateConflict('model_file_missing', `File ${f.path} was not uploaded`);
      const a = await this.artifacts.get(ctx, orgId, orbitId, f.artifact_id);
      if (a.status !== 'uploaded')
        throw new ModelStateConflict(
          'model_file_not_uploaded',
          `File ${f.path} is ${a.status}; complete its upload first`,
          { path: f.path },
        );
    }
    await this.db.transaction(async (m) => {
      await m.query('UPDATE model_files SET uploaded = true WHERE model_uuid = $1', [row.id]);
      await m.query(
        `UPDATE models SET published = true, status = 'SUCCEEDED', formats = $2, loaded_at = now(), updated_at = now() WHERE id = $1`,
        [row.id, detectFormats(files.map((f) => f.path))],
      );
      await this.audit.record(
        ctx,
        {
          action: 'model.publish',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId },
        },
        m,
      );
    });
    return this.response(await this.byUuid(row.id));
  }

  /**
   * Activates a model: one deployment per replica on satellites that serve its format (and are
   * allowed by its config). Either every replica is created or none is.
   */
  async activate(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'deploy']);
    const row = await this.mustFind(orbitId, modelId, true);
    if (row.activation === 'active') return this.response(row);
    if (row.status !== 'SUCCEEDED')
      throw new ModelStateConflict(
        'model_not_loaded',
        `Model ${modelId} is ${row.status}; only loaded (SUCCEEDED) models can be activated`,
        { status: row.status },
      );
    const cfg = row.config ?? {};
    const serverArgs = parseExtraArgs(cfg.extraArgs ?? []);
    const { artifactId, adapters } = await this.servedFiles(row);
    // Claim the activation first so two concurrent calls cannot both deploy.
    const claimed: unknown = await this.db.query(
      `UPDATE models SET activation = 'active', updated_at = now() WHERE id = $1 AND activation = 'inactive' RETURNING id`,
      [row.id],
    );
    if (!rowsOf(claimed).length) return this.response(await this.byUuid(row.id));
    const created: string[] = [];
    try {
      const replicas = cfg.replicas ?? 1;
      const allowed = cfg.allowedSatelliteIds ?? [];
      for (let i = 0; i < replicas; i++) {
        const env: Record<string, string> = { APOGEE_MODEL_ID: modelId };
        if (serverArgs.length) env.APOGEE_MODEL_SERVER_ARGS = serverArgs.join(' ');
        const d = await this.deployments.create(ctx, orgId, orbitId, {
          name: deploymentName(modelId, i),
          description: `Model ${modelId} (replica ${i + 1} of ${replicas})`,
          artifactId,
          ...(adapters.length ? { adapters } : {}),
          ...(allowed.length ? { satelliteId: allowed[i % allowed.length] } : {}),
          ...(cfg.runtime ? { runtime: cfg.runtime } : {}),
          env,
          resources: { gpus: cfg.gpus ?? 0 },
        });
        created.push(d.id);
      }
    } catch (e) {
      for (const id of created) {
        await this.deployments
          .delete(ctx, orgId, orbitId, id, true)
          .catch((err: unknown) =>
            this.log.warn(`Rolling back deployment ${id} failed: ${ensureError(err).message}`),
          );
      }
      await this.db.query(
        `UPDATE models SET activation = 'inactive', deployment_ids = '{}', updated_at = now() WHERE id = $1`,
        [row.id],
      );
      throw e;
    }
    await this.db.transaction(async (m) => {
      await m.query('UPDATE models SET deployment_ids = $2, updated_at = now() WHERE id = $1', [
        row.id,
        created,
      ]);
      await this.audit.record(
        ctx,
        {
          action: 'model.activate',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId, deploymentIds: created },
        },
        m,
      );
    });
    this.touched(orbitId, modelId);
    return this.response(await this.byUuid(row.id));
  }

  /**
   * What a model's deployment serves. A base model: its primary ONNX/GGUF file. A fine-tuned
   * model: a deployment of its own running its base model's GGUF with the model's GGUF LoRA
   * adapter, served under the fine-tuned id (the base model's deployments are left untouched,
   * so activating or deactivating an adapter never restarts the base model).
   */
  private async servedFiles(
    row: ModelRow,
  ): Promise<{ artifactId: string; adapters: { name: string; artifactId: string }[] }> {
    if (row.kind !== 'fine_tuned') {
      const files = (await this.filesOf([row.id])).get(row.id) ?? [];
      const primary = files.find((f) => f.path === row.primary_path && f.artifact_id);
      const format = row.formats.find((f) => SERVABLE.includes(f));
      if (!primary || !format) {
        throw new ModelStateConflict(
          'model_not_servable',
          `Model ${row.model_id} has formats ${row.formats.join(', ') || 'none'}; satellites serve ${SERVABLE.join(' and ')} models`,
        );
      }
      return { artifactId: primary.artifact_id!, adapters: [] };
    }
    const files = (await this.filesOf([row.id])).get(row.id) ?? [];
    const adapter = files.find((f) => f.path.toLowerCase().endsWith('.gguf') && f.artifact_id);
    if (!adapter)
      throw new ModelStateConflict(
        'adapter_not_supported',
        `Model ${row.model_id} is a ${row.adapter} adapter without a GGUF file; the model server loads LoRA adapters converted to GGUF only (upload e.g. adapter.gguf from llama.cpp's convert_lora_to_gguf.py)`,
      );
    const base = row.base_model_id ? await this.find(row.orbit_id, row.base_model_id) : null;
    if (!base || base.status !== 'SUCCEEDED')
      throw new ModelStateConflict(
        'base_model_not_loaded',
        `The base model ${row.base_model_id} of ${row.model_id} is not loaded`,
      );
    const baseFiles = (await this.filesOf([base.id])).get(base.id) ?? [];
    const primary = baseFiles.find((f) => f.path === base.primary_path && f.artifact_id);
    if (!primary || !base.formats.includes('gguf'))
      throw new ModelStateConflict(
        'adapter_not_supported',
        `The base model ${base.model_id} of ${row.model_id} is not a GGUF model; LoRA adapters load on GGUF models only`,
      );
    return {
      artifactId: primary.artifact_id!,
      adapters: [{ name: row.model_id, artifactId: adapter.artifact_id! }],
    };
  }

  /** Deactivates a model: its deployments are stopped and removed. */
  async deactivate(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'deploy']);
    const row = await this.mustFind(orbitId, modelId, true);
    if (row.activation === 'inactive') return this.response(row);
    this.touched(orbitId, modelId);
    for (const id of row.deployment_ids) {
      try {
        await this.deployments.delete(ctx, orgId, orbitId, id);
      } catch (e) {
        if ((e as DomainError).status !== 404) throw e;
      }
    }
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE models SET activation = 'inactive', deployment_ids = '{}', updated_at = now() WHERE id = $1`,
        [row.id],
      );
      await this.audit.record(
        ctx,
        {
          action: 'model.deactivate',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId },
        },
        m,
      );
    });
    return this.response(await this.byUuid(row.id));
  }

  /** Deletes a model (refused while active) and the files it stored; files it only references stay. */
  async delete(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelDeletedDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'delete']);
    const owned = await this.db.transaction(async (m) => {
      const rows: ModelRow[] = await m.query(
        'SELECT * FROM models WHERE orbit_id = $1 AND model_id = $2 FOR UPDATE',
        [orbitId, modelId],
      );
      const row = rows[0];
      if (!row) throw new ModelNotFound(modelId);
      const active: { model_id: string }[] = await m.query(
        `SELECT model_id FROM models WHERE (id = $1 OR parent_id = $1) AND activation = 'active'`,
        [row.id],
      );
      if (active.length)
        throw new ModelStateConflict(
          'model_active',
          `Model ${active[0]!.model_id} is active; deactivate it before deleting`,
        );
      const files: { artifact_id: string }[] = await m.query(
        'SELECT DISTINCT f.artifact_id FROM model_files f JOIN models md ON md.id = f.model_uuid WHERE (md.id = $1 OR md.parent_id = $1) AND f.owned AND f.artifact_id IS NOT NULL',
        [row.id],
      );
      await m.query('DELETE FROM models WHERE id = $1 OR parent_id = $1', [row.id]);
      await this.audit.record(
        ctx,
        {
          action: 'model.delete',
          resourceType: 'model',
          resourceId: row.id,
          organizationId: orgId,
          orbitId,
          details: { id: modelId, files: files.length },
        },
        m,
      );
      return files.map((f) => f.artifact_id);
    });
    this.touched(orbitId, modelId);
    for (const artifactId of owned) {
      try {
        await this.artifacts.delete(ctx, orgId, orbitId, artifactId);
      } catch (e) {
        if ((e as DomainError).status === 404) continue;
        throw new Conflict(
          'model_files_not_deleted',
          `Model ${modelId} was deleted but its file artifact ${artifactId} could not be: ${ensureError(e).message}`,
        );
      }
    }
    return { id: modelId, object: 'model', deleted: true };
  }

  /* ---------------- gateway ---------------- */

  /** When the model last changed on this instance (activation, config, deletion), epoch ms; 0 if never. */
  changedAt(orbitId: string, modelId: string): number {
    return this.changes.get(`${orbitId}\u0000${modelId}`) ?? 0;
  }

  private touched(orbitId: string, modelId: string): void {
    if (this.changes.size > 10_000) this.changes.clear();
    this.changes.set(`${orbitId}\u0000${modelId}`, Date.now());
  }

  /**
   * What the gateway needs to route a request: the model (published, loaded) and its deployments.
   * An inactive model is activated when its config allows on-demand activation.
   */
  async route(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<ModelRoute | null> {
    await this.access.orbit(ctx, orgId, orbitId, ['model', 'read']);
    let row = await this.find(orbitId, modelId);
    if (!row || !row.published || row.status !== 'SUCCEEDED') throw new ModelNotFound(modelId);
    if (row.activation !== 'active') {
      if (!row.config?.onDemand) return null;
      await this.activate(ctx, orgId, orbitId, modelId);
      row = (await this.find(orbitId, modelId))!;
    }
    return { model: row, deploymentIds: row.deployment_ids };
  }

  /**
   * Records one gateway call. Rows are buffered and written together (every
   * {@link USAGE_FLUSH_MS} ms or {@link USAGE_BATCH} rows), so the gateway adds no write per call.
   */
  recordUsage(u: UsageRecord): void {
    this.usageBuffer.push(u);
    if (this.usageBuffer.length >= USAGE_BATCH) void this.flushUsage();
    else this.usageTimer ??= setTimeout(() => void this.flushUsage(), USAGE_FLUSH_MS);
  }

  /** Writes the buffered usage rows (also at shutdown). */
  async flushUsage(): Promise<void> {
    clearTimeout(this.usageTimer);
    this.usageTimer = undefined;
    const rows = this.usageBuffer.splice(0);
    if (!rows.length) return;
    const params: unknown[] = [];
    const values = rows.map((u, i) => {
      params.push(
        u.orgId,
        u.orbitId,
        u.modelId,
        u.apiKeyId,
        u.userId,
        u.endpoint,
        u.stream,
        u.status,
        u.promptTokens,
        u.completionTokens,
        Math.round(u.latencyMs),
      );
      return `(${Array.from({ length: 11 }, (_, j) => `$${i * 11 + j + 1}`).join(', ')})`;
    });
    try {
      await this.db.query(
        `INSERT INTO model_usage (organization_id, orbit_id, model_id, api_key_id, user_id, endpoint, stream, status, prompt_tokens, completion_tokens, latency_ms) VALUES ${values.join(', ')}`,
        params,
      );
    } catch (e) {
      this.log.warn(`Recording ${rows.length} usage row(s) failed: ${ensureError(e).message}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushUsage();
  }

  /** Usage per orbit, model and API key in a time window; org owners and admins only. */
  async usage(ctx: RequestContext, orgId: string, from: Date, to: Date) {
    await this.access.organization(ctx, orgId, ['audit_event', 'read']);
    const rows: {
      orbit_id: string;
      model_id: string;
      api_key_id: string | null;
      user_id: string | null;
      requests: number;
      errors: number;
      prompt: string;
      completion: string;
      p50: number | null;
      p95: number | null;
    }[] = await this.db.query(
      `SELECT orbit_id, model_id, api_key_id, user_id, count(*)::int AS requests, count(*) FILTER (WHERE status >= 400)::int AS errors,
                sum(prompt_tokens)::bigint AS prompt, sum(completion_tokens)::bigint AS completion,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
           FROM model_usage WHERE organization_id = $1 AND created_at >= $2 AND created_at < $3
          GROUP BY orbit_id, model_id, api_key_id, user_id ORDER BY model_id, api_key_id`,
      [orgId, from, to],
    );
    return rows.map((r) => ({
      orbitId: r.orbit_id,
      modelId: r.model_id,
      apiKeyId: r.api_key_id,
      userId: r.user_id,
      requests: r.requests,
      errors: r.errors,
      promptTokens: Number(r.prompt),
      completionTokens: Number(r.completion),
      latencyP50Ms: Math.round(r.p50 ?? 0),
      latencyP95Ms: Math.round(r.p95 ?? 0),
    }));
  }

  /* ---------------- loader protocol (satellites) ---------------- */

  /** The load a satellite holds: what to fetch, the token, and the files already stored. */
  async loadSpec(
    ctx: RequestContext,
    sat: SatellitePrincipal,
    taskId: string,
  ): Promise<ModelLoadSpecDto> {
    const row = await this.loadOf(sat, taskId);
    let token: string | null = null;
    if (row.options.tokenSecret) {
      const s = (await this.secrets.list(ctx, sat.organizationId, sat.orbitId)).find(
        (x) => x.name === row.options.tokenSecret,
      );
      if (!s)
        throw new ModelStateConflict(
          'secret_missing',
          `Orbit secret ${row.options.tokenSecret} no longer exists`,
        );
      token = (await this.secrets.reveal(ctx, sat.organizationId, sat.orbitId, s.id)).value;
    }
    const files = (await this.filesOf([row.id])).get(row.id) ?? [];
    return {
      taskId,
      modelId: row.model_id,
      source: row.source,
      location: row.source_ref,
      revision: row.options.revision ?? 'main',
      splitGguf: row.options.splitGguf ?? false,
      huggingFaceToken: token,
      remoteFiles:
        row.source === 'object_store'
          ? await this.objectStore.list(
              row.organization_id,
              row.options.storageBackendId!,
              row.source_ref,
            )
          : null,
      storedFiles: files.map(toFileDto),
    };
  }

  /**
   * The loader is about to upload one file: answers `done` when the file is already stored (a
   * resumed load), else creates its artifact on behalf of the model's creator and returns the plan.
   */
  async loadFile(
    sat: SatellitePrincipal,
    taskId: string,
    dto: ModelFileCreateDto,
    requestId: string,
  ): Promise<ModelLoadFileResponseDto> {
    const row = await this.loadOf(sat, taskId);
    const sha = dto.sha256.toLowerCase();
    const existing: FileRow[] = await this.db.query(
      'SELECT * FROM model_files WHERE model_uuid = $1 AND path = $2',
      [row.id, dto.path],
    );
    const ctx = this.creatorContext(row, requestId);
    if (existing[0]) {
      if (existing[0].uploaded && existing[0].sha256 === sha)
        return { done: true, artifactId: existing[0].artifact_id ?? undefined };
      // A different or unfinished upload from an earlier attempt: replace it.
      if (existing[0].artifact_id) {
        await this.db.query('DELETE FROM model_files WHERE model_uuid = $1 AND path = $2', [
          row.id,
          dto.path,
        ]);
        await this.artifacts
          .delete(ctx, row.organization_id, row.orbit_id, existing[0].artifact_id)
          .catch((e: unknown) =>
            this.log.warn(
              `Dropping stale upload ${existing[0]!.artifact_id} failed: ${ensureError(e).message}`,
            ),
          );
      }
    }
    const created = await this.artifacts.create(
      ctx,
      row.organization_id,
      row.orbit_id,
      row.options.collectionId!,
      {
        name: artifactName(row.model_id, dto.path),
        fileName: dto.path.split('/').pop()!,
        size: dto.size,
        sha256: sha,
        type: 'model',
        tags: ['apogee-model'],
        description: `File ${dto.path} of model ${row.model_id}`,
      },
    );
    await this.putFile(row.id, dto.path, dto.size, sha, created.artifact.id, true);
    return {
      done: false,
      artifactId: created.artifact.id,
      upload: created.upload as unknown as Record<string, unknown>,
    };
  }

  async loadFileParts(
    sat: SatellitePrincipal,
    taskId: string,
    artifactId: string,
    partNumbers: number[],
    requestId: string,
  ) {
    const row = await this.loadOf(sat, taskId);
    await this.fileOf(row.id, artifactId);
    return this.artifacts.signParts(
      this.creatorContext(row, requestId),
      row.organization_id,
      row.orbit_id,
      artifactId,
      { partNumbers },
    );
  }

  async loadFileComplete(
    sat: SatellitePrincipal,
    taskId: string,
    artifactId: string,
    parts: { partNumber: number; etag: string }[] | undefined,
    requestId: string,
  ): Promise<ModelLoadFileResponseDto> {
    const row = await this.loadOf(sat, taskId);
    await this.fileOf(row.id, artifactId);
    await this.artifacts.complete(
      this.creatorContext(row, requestId),
      row.organization_id,
      row.orbit_id,
      artifactId,
      parts ? { parts } : {},
    );
    await this.db.query(
      'UPDATE model_files SET uploaded = true WHERE model_uuid = $1 AND artifact_id = $2',
      [row.id, artifactId],
    );
    return { done: true, artifactId };
  }

  private async fileOf(modelUuid: string, artifactId: string): Promise<FileRow> {
    const rows: FileRow[] = await this.db.query(
      'SELECT * FROM model_files WHERE model_uuid = $1 AND artifact_id = $2',
      [modelUuid, artifactId],
    );
    if (!rows[0]) throw new ModelNotFound(`file ${artifactId}`);
    return rows[0];
  }

  /** The model of a load task this satellite holds (404 otherwise). */
  private async loadOf(sat: SatellitePrincipal, taskId: string): Promise<ModelRow> {
    const task = await this.tasks.get(sat, taskId);
    if (
      task.type !== 'load_model' ||
      task.lockedBy !== sat.satelliteId ||
      !['claimed', 'running'].includes(task.status)
    ) {
      throw new ModelStateConflict(
        'task_lease_lost',
        `This satellite does not hold load task ${taskId}`,
      );
    }
    const rows: ModelRow[] = await this.db.query(
      'SELECT * FROM models WHERE id = $1 AND orbit_id = $2',
      [String(task.payload.modelUuid), sat.orbitId],
    );
    if (!rows[0]) throw new ModelNotFound(String(task.payload.modelUuid));
    return rows[0];
  }

  /** Loads run with the rights of whoever asked for the model (they must still be allowed). */
  private creatorContext(row: ModelRow, requestId: string): RequestContext {
    if (!row.created_by)
      throw new ModelStateConflict(
        'model_creator_gone',
        `The user who requested ${row.model_id} no longer exists; delete and create it again`,
      );
    return {
      principal: { kind: 'user', userId: row.created_by, email: 'model-loader', via: 'jwt' },
      requestId,
      ip: '',
    };
  }

  private async putFile(
    uuid: string,
    path: string,
    size: number,
    sha256: string,
    artifactId: string,
    owned: boolean,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO model_files (model_uuid, path, size, sha256, artifact_id, uploaded, owned) VALUES ($1, $2, $3, $4, $5, false, $6)
       ON CONFLICT (model_uuid, path) DO UPDATE SET size = $3, sha256 = $4, artifact_id = $5, uploaded = false, owned = $6`,
      [uuid, path, size, sha256, artifactId, owned],
    );
  }

  /* ---------------- task hooks ---------------- */

  private async onLoadClaimed(m: EntityManager, t: Task): Promise<void> {
    const note =
      t.attempt > 1
        ? `resumed on satellite ${t.lockedBy} (attempt ${t.attempt} of ${t.maxAttempts}; earlier: ${t.error ?? 'lease lost'})`
        : `claimed by satellite ${t.lockedBy}`;
    await m.query(
      `UPDATE models SET status = 'LOADING', status_message = $2, updated_at = now() WHERE id = $1 AND task_id = $3`,
      [t.payload.modelUuid, note, t.id],
    );
  }

  private async onLoadProgress(m: EntityManager, t: Task): Promise<void> {
    if (!t.progress) return;
    await m.query(
      `UPDATE models SET status = 'LOADING', status_message = $2, updated_at = now() WHERE id = $1 AND task_id = $3 AND status IN ('REQUESTED', 'LOADING')`,
      [t.payload.modelUuid, t.progress, t.id],
    );
  }

  private async onLoadSucceeded(m: EntityManager, t: Task): Promise<void> {
    const r = t.result ?? {};
    const formats = Array.isArray(r.formats) ? (r.formats as string[]) : [];
    const primary = typeof r.primaryPath === 'string' ? r.primaryPath : null;
    const updated: unknown = await m.query(
      `UPDATE models SET status = 'SUCCEEDED', status_message = $2, failure_reason = NULL, formats = $3, primary_path = $4, loaded_at = now(), updated_at = now()
        WHERE id = $1 AND task_id = $5 RETURNING *`,
      [
        t.payload.modelUuid,
        typeof r.summary === 'string' ? r.summary : null,
        formats,
        primary,
        t.id,
      ],
    );
    const row = rowsOf(updated)[0] as ModelRow | undefined;
    if (!row) return;
    await this.webhooks.emit(
      systemContext('model-loader'),
      row.orbit_id,
      'model.loaded',
      { modelId: row.model_id, formats, primaryPath: primary, source: row.source },
      m,
    );
    // One base model per GGUF file, when asked: `<id>/<file>` sharing the parent's stored file.
    const ggufs = Array.isArray(r.ggufFiles) ? (r.ggufFiles as string[]) : [];
    if (row.options.splitGguf && ggufs.length > 1) {
      for (const path of ggufs) {
        const childId = `${row.model_id}/${path
          .split('/')
          .pop()!
          .replace(/\.gguf$/i, '')}`;
        if (!validId(childId)) continue;
        const inserted: unknown = await m.query(
          `INSERT INTO models (organization_id, orbit_id, model_id, kind, source, source_ref, options, status, formats, primary_path, config, created_by, parent_id, loaded_at)
           VALUES ($1, $2, $3, 'base', $4, $5, '{}', 'SUCCEEDED', '{gguf}', $6, $7, $8, $9, now())
           ON CONFLICT (orbit_id, model_id) DO NOTHING RETURNING id`,
          [
            row.organization_id,
            row.orbit_id,
            childId,
            row.source,
            `${row.source_ref}/${path}`,
            path,
            row.config,
            row.created_by,
            row.id,
          ],
        );
        const ins = rowsOf(inserted) as { id: string }[];
        if (!ins[0]) continue;
        await m.query(
          `INSERT INTO model_files (model_uuid, path, size, sha256, artifact_id, uploaded, owned)
           SELECT $1, path, size, sha256, artifact_id, uploaded, false FROM model_files WHERE model_uuid = $2 AND path = $3`,
          [ins[0].id, row.id, path],
        );
      }
    }
  }

  private async onLoadFailed(m: EntityManager, t: Task): Promise<void> {
    await m.query(
      `UPDATE models SET status = 'FAILED', failure_reason = $2, status_message = NULL, updated_at = now() WHERE id = $1 AND task_id = $3`,
      [t.payload.modelUuid, t.error ?? 'The load failed', t.id],
    );
  }

  /* ---------------- helpers ---------------- */

  async find(orbitId: string, modelId: string): Promise<ModelRow | null> {
    const rows: ModelRow[] = await this.db.query(
      'SELECT * FROM models WHERE orbit_id = $1 AND model_id = $2',
      [orbitId, modelId],
    );
    return rows[0] ?? null;
  }

  private async mustFind(
    orbitId: string,
    modelId: string,
    publishedOnly = false,
  ): Promise<ModelRow> {
    const row = await this.find(orbitId, modelId);
    if (!row || (publishedOnly && !row.published)) throw new ModelNotFound(modelId);
    return row;
  }

  private async byUuid(id: string): Promise<ModelRow> {
    const rows: ModelRow[] = await this.db.query('SELECT * FROM models WHERE id = $1', [id]);
    return rows[0]!;
  }

  private async filesOf(ids: string[]): Promise<Map<string, FileRow[]>> {
    const out = new Map<string, FileRow[]>();
    if (!ids.length) return out;
    const rows: FileRow[] = await this.db.query(
      'SELECT * FROM model_files WHERE model_uuid = ANY($1::uuid[]) ORDER BY path',
      [ids],
    );
    for (const r of rows) out.set(r.model_uuid, [...(out.get(r.model_uuid) ?? []), r]);
    return out;
  }

  private async response(row: ModelRow): Promise<ModelResponseDto> {
    return toResponse(row, (await this.filesOf([row.id])).get(row.id) ?? []);
  }
}

export function validId(id: string): boolean {
  return (
    MODEL_ID.test(id) &&
    !id.includes('//') &&
    !id.endsWith('/') &&
    !id.split('/').includes('..') &&
    !/[:/]$/.test(id)
  );
}

function userOf(ctx: RequestContext): string | null {
  return ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
    ? ctx.principal.userId
    : null;
}

function rowsOf(r: unknown): unknown[] {
  // node-postgres through TypeORM answers `[rows, count]` for UPDATE … RETURNING.
  return Array.isArray(r) && Array.isArray(r[0]) ? (r[0] as unknown[]) : Array.isArray(r) ? r : [];
}

/** A deployment name for a replica of a model (deployment names are at most 100 characters). */
function deploymentName(modelId: string, replica: number): string {
  const slug = modelId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 70);
  return `model-${slug}-${replica + 1}-${Math.random().toString(36).slice(2, 8)}`;
}

function artifactName(modelId: string, path: string): string {
  return `${modelId}/${path}`.slice(-100).replace(/^[^A-Za-z0-9]+/, '') || 'model-file';
}

function artifactFormats(format: string): string[] {
  switch (format) {
    case 'gguf':
      return ['gguf'];
    case 'onnx':
      return ['onnx'];
    case 'safetensors':
    case 'hf-dir':
      return ['hugging-face'];
    default:
      return [];
  }
}

/** Formats from file names (the loader's detection, for uploaded fine-tuned files). */
export function detectFormats(paths: string[]): string[] {
  const f = new Set<string>();
  for (const p of paths) {
    const base = p.split('/').pop()!;
    if (base === 'config.json' || base === 'adapter_config.json' || base.endsWith('.safetensors'))
      f.add('hugging-face');
    if (base.endsWith('.gguf')) f.add('gguf');
    if (base.endsWith('.onnx')) f.add('onnx');
  }
  return [...f];
}

function toFileDto(f: FileRow): ModelFileDto {
  return {
    path: f.path,
    size: Number(f.size),
    sha256: f.sha256,
    artifactId: f.artifact_id,
    uploaded: f.uploaded,
  };
}

export function toResponse(r: ModelRow, files: FileRow[]): ModelResponseDto {
  const loading = r.status === 'LOADING' || r.status === 'FAILED' || r.status === 'REQUESTED';
  return {
    id: r.model_id,
    object: 'model',
    created: Math.floor(new Date(r.created_at).getTime() / 1000),
    owned_by: r.kind === 'fine_tuned' ? 'user' : 'system',
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    kind: r.kind,
    source: r.source,
    location: r.source_ref,
    loadingStatus: r.status,
    loadingStatusMessage: loading || r.status === 'SUCCEEDED' ? r.status_message : null,
    loadingFailureReason: r.failure_reason,
    formats: r.formats,
    baseModelId: r.base_model_id,
    adapter: r.adapter,
    published: r.published,
    activationStatus: r.activation,
    deploymentIds: r.deployment_ids,
    config: r.config ?? {},
    files: files.map(toFileDto),
    taskId: r.task_id,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
