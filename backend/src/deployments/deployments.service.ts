import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { AuditService } from '../audit/audit.service.js';
import {
  systemContext,
  type RequestContext,
  type SatellitePrincipal,
} from '../common/auth/principal.js';
import {
  Conflict,
  NotFound,
  ValidationFailed,
  ensureError,
  isUniqueViolation,
  type FieldProblem,
} from '../common/errors.js';
import { SatellitesService } from '../satellites/satellites.service.js';
import { OrbitSecretsService } from '../secrets/orbit-secrets.service.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { AliasFollowService } from './alias-follow.service.js';
import { InferenceRouteCache } from './inference-route-cache.js';
import type { Task } from '../tasks/task.types.js';
import type {
  DeploymentAdapterDto,
  DeploymentArtifactUrlDto,
  DeploymentCreateDto,
  DeploymentHealthDto,
  DeploymentLogsDto,
  DeploymentPhase,
  DeploymentReportDto,
  DeploymentResourcesDto,
  DeploymentResponseDto,
  DeploymentSecretsDto,
  DeploymentSpecDto,
  DeploymentStatus,
  SatelliteHeartbeatDto,
  SatelliteHeartbeatResponseDto,
} from './dto/deployment.dto.js';

/** Formats the model server serves; other artifacts cannot be deployed (yet). */
export const SERVABLE_FORMATS = ['onnx', 'gguf'];
/** An active deployment whose satellite has not reported its health for this long is not responding, ms. */
export const HEALTH_STALE_MS = 45_000;
/** Log lines kept per deployment. */
const LOG_LINES_KEPT = 500;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_ENV = 200;
/** Statuses in which the satellite should be running the model. */
const WANTED: DeploymentStatus[] = ['pending', 'deploying', 'active', 'not_responding'];

interface DeploymentRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  satellite_id: string;
  satellite_name: string;
  artifact_id: string;
  name: string;
  description: string;
  format: string;
  runtime: string | null;
  status: DeploymentStatus;
  status_reason: string | null;
  delete_requested: boolean;
  env: Record<string, string>;
  secret_refs: Record<string, string>;
  adapters?: DeploymentAdapterDto[];
  resources: DeploymentResourcesDto;
  inference_url: string | null;
  schema: Record<string, unknown> | null;
  phases: Partial<Record<DeploymentPhase, string>>;
  health: { healthy: boolean; state: string; error?: string | null } | null;
  last_health_at: Date | null;
  created_at: Date;
  updated_at: Date;
  task_id: string | null;
  task_type: string | null;
  task_status: string | null;
  task_attempt: number | null;
  task_max_attempts: number | null;
  task_progress: string | null;
  task_error: string | null;
  track_id: string | null;
  alias: string | null;
}

const SELECT = `
  SELECT d.id, d.organization_id, d.orbit_id, d.satellite_id, s.name AS satellite_name, d.artifact_id, d.name, d.description, d.format,
         d.runtime, d.status, d.status_reason, d.delete_requested, d.env, d.secret_refs, d.resources, d.inference_url, d.schema,
         d.phases, d.health, d.last_health_at, d.created_at, d.updated_at,
         t.id AS task_id, t.type AS task_type, t.status AS task_status, t.attempt AS task_attempt, t.max_attempts AS task_max_attempts,
         t.progress AS task_progress, t.error AS task_error, d.track_id, d.alias
    FROM deployments d
    JOIN satellites s ON s.id = d.satellite_id
    LEFT JOIN LATERAL (SELECT * FROM tasks x WHERE x.deployment_id = d.id ORDER BY x.created_at DESC LIMIT 1) t ON true`;

export class DeploymentNotFound extends NotFound {
  constructor(id: string) {
    super('Deployment', id);
  }
}

export class DeploymentStatusConflict extends Conflict {
  constructor(status: DeploymentStatus, action: string) {
    super('deployment_status_conflict', `The deployment is ${status}; it cannot ${action} now`, {
      status,
    });
  }
}

/**
 * Deployments of an orbit: each change is a row update plus a task for its satellite, in one
 * transaction; the satellite's task reports (through the queue's hooks) and heartbeats move the
 * status along pending → deploying → active | failed, stopping → stopped, not_responding.
 */
@Injectable()
export class DeploymentsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Deployments');
  private staleTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly artifacts: ArtifactsService,
    private readonly secrets: OrbitSecretsService,
    private readonly satellites: SatellitesService,
    private readonly tasks: TasksService,
    private readonly routes: InferenceRouteCache,
    private readonly follow: AliasFollowService,
    private readonly webhooks: WebhooksService,
  ) {}

  /**
   * Announces a user-facing deployment's new status to the orbit's webhooks, in the transaction
   * that changed it. Hidden successors of alias-following deployments are not announced.
   */
  private async announce(m: EntityManager, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const rows: {
      id: string;
      orbit_id: string;
      name: string;
      status: string;
      status_reason: string | null;
      artifact_id: string;
    }[] = await m.query(
      `SELECT id, orbit_id, name, status, status_reason, artifact_id FROM deployments WHERE id = ANY($1) AND front_id IS NULL`,
      [ids],
    );
    for (const d of rows) {
      await this.webhooks.emit(
        systemContext('deployment-status'),
        d.orbit_id,
        'deployment.status_changed',
        {
          deploymentId: d.id,
          name: d.name,
          status: d.status,
          reason: d.status_reason,
          artifactId: d.artifact_id,
        },
        m,
      );
    }
  }

  onModuleInit(): void {
    this.tasks.registerHooks('deploy', {
      onClaimed: (m, t) => this.onDeployClaimed(m, t),
      onSucceeded: (m, t) => this.onDeploySucceeded(m, t),
      onFailed: (m, t) => this.onDeployFailed(m, t),
    });
    this.tasks.registerHooks('undeploy', {
      onSucceeded: (m, t) => this.onUndeploySucceeded(m, t),
      onFailed: (m, t) => this.onUndeployFailed(m, t),
    });
    this.artifacts.registerDependencyCheck('deployments', async (m, a) => {
      const rows: { name: string; status: string }[] = await m.query(
        `SELECT name, status FROM deployments WHERE artifact_id = $1 OR adapters @> jsonb_build_array(jsonb_build_object('artifactId', $1::text)) ORDER BY name`,
        [a.id],
      );
      return rows.map((r) => `deployment ${r.name} (${r.status})`);
    });
  }

  onApplicationBootstrap(): void {
    this.staleTimer = setInterval(() => {
      this.markStale().catch((e: unknown) =>
        this.log.warn(`Marking stale deployments failed: ${ensureError(e).message}`),
      );
    }, 5_000);
    this.staleTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.staleTimer);
  }

  /* ---------------- user side ---------------- */

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: DeploymentCreateDto,
  ): Promise<DeploymentResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'deploy']);
    const env = stringMap(dto.env ?? {}, 'env', (k) => ENV_NAME.test(k), 32_768);
    const secretRefs = stringMap(dto.secrets ?? {}, 'secrets', (k) => ENV_NAME.test(k), 128);
    AliasFollowService.checkTarget(dto);
    let follow: { trackId: string; artifactId: string; alias: string } | null = null;
    if (dto.track && dto.alias) {
      await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
      const r = await this.follow.resolve(this.db.manager, orbitId, dto.track, dto.alias);
      follow = { ...r, alias: dto.alias };
    }
    const artifact = await this.artifacts.get(
      ctx,
      orgId,
      orbitId,
      follow?.artifactId ?? dto.artifactId!,
    );
    if (artifact.status !== 'uploaded') {
      throw new Conflict(
        'artifact_not_uploaded',
        `Artifact ${artifact.name} is ${artifact.status}; only uploaded artifacts can be deployed`,
      );
    }
    if (!SERVABLE_FORMATS.includes(artifact.format)) {
      throw new ValidationFailed(
        `Artifacts of format ${artifact.format} cannot be deployed; supported: ${SERVABLE_FORMATS.join(', ')}`,
        [{ field: 'artifactId', problems: [`format ${artifact.format} is not servable`] }],
      );
    }
    const adapters = dto.adapters ?? [];
    if (adapters.length && artifact.format !== 'gguf')
      throw new ValidationFailed('Adapters need a GGUF model', [
        { field: 'adapters', problems: [`a ${artifact.format} model cannot load LoRA adapters`] },
      ]);
    for (const [i, ad] of adapters.entries()) {
      const a = await this.artifacts.get(ctx, orgId, orbitId, ad.artifactId);
      if (a.status !== 'uploaded' || a.format !== 'gguf')
        throw new ValidationFailed(`Adapter ${ad.name} cannot be loaded`, [
          {
            field: `adapters[${i}].artifactId`,
            problems: [`artifact ${a.name} is ${a.status} ${a.format}; need an uploaded GGUF`],
          },
        ]);
    }
    if (new Set(adapters.map((a) => a.name)).size !== adapters.length)
      throw new ValidationFailed('Adapter names must be unique', [
        { field: 'adapters', problems: ['duplicate name'] },
      ]);
    if (Object.keys(secretRefs).length) {
      const known = new Set((await this.secrets.list(ctx, orgId, orbitId)).map((s) => s.name));
      const missing = Object.entries(secretRefs).filter(([, name]) => !known.has(name));
      if (missing.length) {
        throw new ValidationFailed(
          `Unknown orbit secret(s): ${missing.map(([, n]) => n).join(', ')}`,
          missing.map(([k, n]) => ({
            field: `secrets.${k}`,
            problems: [`no secret named ${n} in this orbit`],
          })),
        );
      }
    }
    const id = await this.db.transaction(async (m) => {
      const sat = await this.satellites.pick(m, orbitId, artifact.format, dto.satelliteId);
      let id: string;
      try {
        const rows: { id: string }[] = await m.query(
          `INSERT INTO deployments (organization_id, orbit_id, satellite_id, artifact_id, name, description, format, runtime, status, env, secret_refs, resources, phases, created_by, adapters)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, jsonb_build_object('queued', to_jsonb(now())), $12, $13) RETURNING id`,
          [
            orgId,
            orbitId,
            sat.id,
            artifact.id,
            dto.name.trim(),
            dto.description ?? '',
            artifact.format,
            dto.runtime ?? null,
            env,
            secretRefs,
            { ...(dto.resources ?? {}) },
            userId(ctx),
            JSON.stringify(adapters.map((a) => ({ name: a.name, artifactId: a.artifactId }))),
          ],
        );
        id = rows[0]!.id;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'deployment_name_taken',
            `A deployment named "${dto.name}" already exists in this orbit`,
          );
        throw e;
      }
      if (follow) {
        const now = await this.follow.resolve(m, orbitId, follow.trackId, follow.alias, true);
        if (now.artifactId !== artifact.id)
          throw new Conflict('alias_moved', `Alias ${follow.alias} moved meanwhile; try again`);
        await m.query('UPDATE deployments SET track_id = $2, alias = $3 WHERE id = $1', [
          id,
          follow.trackId,
          follow.alias,
        ]);
      }
      await this.tasks.enqueue(m, {
        organizationId: orgId,
        orbitId,
        satelliteId: sat.id,
        deploymentId: id,
        type: 'deploy',
        requiresFormat: artifact.format,
        payload: { deploymentId: id },
      });
      await this.audit.record(
        ctx,
        {
          action: 'deployment.create',
          resourceType: 'deployment',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { name: dto.name, artifactId: artifact.id, satelliteId: sat.id },
        },
        m,
      );
      return id;
    });
    this.tasks.wake(orbitId);
    return this.one(orbitId, id);
  }

  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
  ): Promise<DeploymentResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'list']);
    const rows: DeploymentRow[] = await this.db.query(
      `${SELECT} WHERE d.orbit_id = $1 AND d.front_id IS NULL ORDER BY d.created_at DESC, d.id DESC`,
      [orbitId],
    );
    return rows.map(toResponse);
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<DeploymentResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'read']);
    return this.one(orbitId, id);
  }

  private async one(orbitId: string, id: string): Promise<DeploymentResponseDto> {
    const rows: DeploymentRow[] = await this.db.query(
      `${SELECT} WHERE d.orbit_id = $1 AND d.id = $2`,
      [orbitId, id],
    );
    if (!rows[0]) throw new DeploymentNotFound(id);
    return toResponse(rows[0]);
  }

  async logs(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    lines = 200,
  ): Promise<DeploymentLogsDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'read']);
    const rows: { logs: string[]; logs_at: Date | null }[] = await this.db.query(
      'SELECT logs, logs_at FROM deployments WHERE orbit_id = $1 AND id = $2',
      [orbitId, id],
    );
    if (!rows[0]) throw new DeploymentNotFound(id);
    return { lines: rows[0].logs.slice(-lines), updatedAt: rows[0].logs_at?.toISOString() ?? null };
  }

  /** Stops a deployment: stopping → stopped once the satellite has removed the model. */
  async stop(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<DeploymentResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'update']);
    await this.db.transaction(async (m) => {
      const d = await this.lock(m, orbitId, id);
      if (d.status === 'stopped' || d.status === 'stopping') return;
      await this.requestUndeploy(m, d, false);
      await this.dropInstances(m, id);
      await this.audit.record(
        ctx,
        {
          action: 'deployment.stop',
          resourceType: 'deployment',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
    this.tasks.wake(orbitId);
    this.routes.forgetDeployment(id);
    return this.one(orbitId, id);
  }

  /** Deploys again (same artifact and settings): the satellite replaces whatever runs. */
  async redeploy(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<DeploymentResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'deploy']);
    await this.db.transaction(async (m) => {
      const d = await this.lock(m, orbitId, id);
      if (d.status === 'stopping' || d.delete_requested)
        throw new DeploymentStatusConflict(d.status, 'be redeployed while it is stopping');
      await this.tasks.cancelPending(m, id, ['deploy', 'undeploy']);
      await this.dropInstances(m, id);
      await m.query(
        `UPDATE deployments SET status = 'pending', status_reason = NULL, phases = jsonb_build_object('queued', to_jsonb(now())), updated_at = now() WHERE id = $1`,
        [id],
      );
      await this.tasks.enqueue(m, {
        organizationId: orgId,
        orbitId,
        satelliteId: d.satellite_id,
        deploymentId: id,
        type: 'deploy',
        requiresFormat: d.format,
        payload: { deploymentId: id },
      });
      await this.audit.record(
        ctx,
        {
          action: 'deployment.redeploy',
          resourceType: 'deployment',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
    this.tasks.wake(orbitId);
    this.routes.forgetDeployment(id);
    return this.one(orbitId, id);
  }

  /**
   * Deletes a deployment. A stopped one goes at once; otherwise it is stopped first and removed
   * when the satellite confirms. `force` removes the record now and still sends the satellite an
   * undeploy task, so nothing is left running.
   * @returns the deployment while it is being stopped, or null when it is gone.
   */
  async delete(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    force = false,
  ): Promise<DeploymentResponseDto | null> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'delete']);
    const gone = await this.db.transaction(async (m) => {
      const d = await this.lock(m, orbitId, id);
      await this.audit.record(
        ctx,
        {
          action: 'deployment.delete',
          resourceType: 'deployment',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { force },
        },
        m,
      );
      await this.dropInstances(m, id);
      if (force || d.status === 'stopped') {
        await this.tasks.cancelPending(m, id, ['deploy', 'undeploy']);
        if (d.status !== 'stopped') {
          // Not tied to the row (it is going): the satellite removes whatever runs under this id.
          await this.tasks.enqueue(m, {
            organizationId: orgId,
            orbitId,
            satelliteId: d.satellite_id,
            type: 'undeploy',
            payload: { deploymentId: id, forced: true },
          });
        }
        await m.query('DELETE FROM deployments WHERE id = $1', [id]);
        return true;
      }
      await m.query('UPDATE deployments SET delete_requested = true WHERE id = $1', [id]);
      if (d.status !== 'stopping') await this.requestUndeploy(m, d, true);
      return false;
    });
    this.tasks.wake(orbitId);
    this.routes.forgetDeployment(id);
    return gone ? null : this.one(orbitId, id);
  }

  /** A front's other instances go (deploy by alias); it serves its own model again when deployed. */
  private async dropInstances(m: EntityManager, id: string): Promise<void> {
    await this.follow.dropInstances(m, id, null);
    await m.query('UPDATE deployments SET serving_id = NULL, retire_at = NULL WHERE id = $1', [id]);
  }

  private async requestUndeploy(
    m: EntityManager,
    d: DeploymentRow,
    forDelete: boolean,
  ): Promise<void> {
    await this.tasks.cancelPending(m, d.id, ['deploy']);
    await m.query(`UPDATE deployments SET status = 'stopping', updated_at = now() WHERE id = $1`, [
      d.id,
    ]);
    await this.tasks.enqueue(m, {
      organizationId: d.organization_id,
      orbitId: d.orbit_id,
      satelliteId: d.satellite_id,
      deploymentId: d.id,
      type: 'undeploy',
      payload: { deploymentId: d.id, forDelete },
    });
  }

  private async lock(m: EntityManager, orbitId: string, id: string): Promise<DeploymentRow> {
    const rows: DeploymentRow[] = await m.query(
      'SELECT * FROM deployments WHERE orbit_id = $1 AND id = $2 FOR UPDATE',
      [orbitId, id],
    );
    if (!rows[0]) throw new DeploymentNotFound(id);
    return rows[0];
  }

  /**
   * Where inference for a deployment goes, for a caller who may read it (404 otherwise).
   * Throws 409 while it has no inference URL.
   */
  async inferenceTarget(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<string> {
    await this.access.orbit(ctx, orgId, orbitId, ['deployment', 'read']);
    const rows: { status: DeploymentStatus; inference_url: string | null }[] = await this.db.query(
      'SELECT status, inference_url FROM deployments WHERE orbit_id = $1 AND id = $2',
      [orbitId, id],
    );
    const d = rows[0];
    if (!d) throw new DeploymentNotFound(id);
    if (!d.inference_url || (d.status !== 'active' && d.status !== 'not_responding')) {
      throw new Conflict(
        'deployment_not_active',
        `The deployment is ${d.status}; it serves requests once active`,
        { status: d.status },
      );
    }
    return d.inference_url;
  }

  /* ---------------- satellite side ---------------- */

  /** A deployment placed on the calling satellite (others are not revealed). */
  private async own(
    sat: SatellitePrincipal,
    id: string,
    m: EntityManager = this.db.manager,
  ): Promise<DeploymentRow> {
    const rows: DeploymentRow[] = await m.query(
      'SELECT * FROM deployments WHERE id = $1 AND orbit_id = $2 AND satellite_id = $3',
      [id, sat.orbitId, sat.satelliteId],
    );
    if (!rows[0]) throw new DeploymentNotFound(id);
    return rows[0];
  }

  async spec(ctx: RequestContext, sat: SatellitePrincipal, id: string): Promise<DeploymentSpecDto> {
    const d = await this.own(sat, id);
    const a = await this.artifacts.get(ctx, sat.organizationId, sat.orbitId, d.artifact_id);
    return {
      id: d.id,
      name: d.name,
      status: d.status,
      artifactId: d.artifact_id,
      format: d.format,
      sha256: a.sha256,
      size: a.size,
      fileName: a.fileName,
      runtime: d.runtime,
      env: d.env,
      secretEnv: Object.keys(d.secret_refs),
      resources: d.resources,
      adapters: (d.adapters ?? []).map((a) => ({ name: a.name, artifactId: a.artifactId })),
    };
  }

  async artifactUrl(
    ctx: RequestContext,
    sat: SatellitePrincipal,
    id: string,
  ): Promise<DeploymentArtifactUrlDto> {
    const d = await this.own(sat, id);
    const u = await this.artifacts.downloadUrl(ctx, sat.organizationId, sat.orbitId, d.artifact_id);
    const adapters = [];
    for (const a of d.adapters ?? []) {
      const au = await this.artifacts.downloadUrl(
        ctx,
        sat.organizationId,
        sat.orbitId,
        a.artifactId,
      );
      adapters.push({
        name: a.name,
        url: au.url,
        expiresAt: au.expiresAt,
        size: au.size,
        sha256: au.sha256,
        fileName: au.fileName,
      });
    }
    return { ...u, format: d.format, adapters };
  }

  /** The deployment's secret env, decrypted for its satellite (each reveal is audited). */
  async resolveSecrets(
    ctx: RequestContext,
    sat: SatellitePrincipal,
    id: string,
  ): Promise<DeploymentSecretsDto> {
    const d = await this.own(sat, id);
    const refs = Object.entries(d.secret_refs);
    if (!refs.length) return { env: {} };
    const byName = new Map(
      (await this.secrets.list(ctx, sat.organizationId, sat.orbitId)).map((s) => [s.name, s.id]),
    );
    const env: Record<string, string> = {};
    for (const [variable, name] of refs) {
      const secretId = byName.get(name);
      if (!secretId)
        throw new Conflict(
          'secret_missing',
          `Secret ${name} (for ${variable}) no longer exists in this orbit`,
        );
      env[variable] = (
        await this.secrets.reveal(ctx, sat.organizationId, sat.orbitId, secretId)
      ).value;
    }
    return { env };
  }

  /** A phase reached, the runtime chosen, or log lines: the satellite's running commentary on a deploy. */
  async report(sat: SatellitePrincipal, id: string, dto: DeploymentReportDto): Promise<void> {
    await this.own(sat, id);
    const at = dto.at ? new Date(dto.at).toISOString() : new Date().toISOString();
    await this.db.query(
      `UPDATE deployments SET
          phases = CASE WHEN $2::text IS NULL THEN phases ELSE phases || jsonb_build_object($2::text, $3::text) END,
          runtime = COALESCE($4, runtime),
          logs = COALESCE($5::jsonb, logs), logs_at = CASE WHEN $5::jsonb IS NULL THEN logs_at ELSE now() END,
          updated_at = now()
        WHERE id = $1`,
      [
        id,
        dto.phase ?? null,
        at,
        dto.runtime ?? null,
        dto.logs ? JSON.stringify(dto.logs.slice(-LOG_LINES_KEPT)) : null,
      ],
    );
  }

  /**
   * Records a satellite heartbeat: per-deployment health and log tails. An active deployment
   * reported unhealthy (or absent) becomes not_responding, and recovers when healthy again.
   * Answers with every deployment placed on the satellite and whether it should be running.
   */
  async heartbeat(
    sat: SatellitePrincipal,
    dto: SatelliteHeartbeatDto,
  ): Promise<SatelliteHeartbeatResponseDto> {
    await this.db.transaction(async (m) => {
      await this.satellites.touch(m, sat);
      for (const h of dto.deployments) {
        if (!h.healthy) this.routes.forgetDeployment(h.id);
        const health = { healthy: h.healthy, state: h.state, error: h.error ?? null };
        const reason = h.healthy
          ? null
          : `Satellite reports the model ${h.state}${h.error ? `: ${h.error}` : ''}${h.logs?.length ? `\n${h.logs.slice(-20).join('\n')}` : ''}`;
        await m.query(
          `UPDATE deployments SET health = $4, last_health_at = now(),
                  logs = COALESCE($5::jsonb, logs), logs_at = CASE WHEN $5::jsonb IS NULL THEN logs_at ELSE now() END,
                  status = CASE WHEN status = 'active' AND NOT $6 THEN 'not_responding'
                                WHEN status = 'not_responding' AND $6 THEN 'active' ELSE status END,
                  status_reason = CASE WHEN status = 'active' AND NOT $6 THEN $7
                                       WHEN status = 'not_responding' AND $6 THEN NULL ELSE status_reason END,
                  updated_at = now()
            WHERE (id = $1 OR serving_id = $1) AND orbit_id = $2 AND satellite_id = $3`,
          [
            h.id,
            sat.orbitId,
            sat.satelliteId,
            health,
            h.logs ? JSON.stringify(h.logs.slice(-LOG_LINES_KEPT)) : null,
            h.healthy,
            reason,
          ],
        );
      }
    });
    return { deployments: await this.placedOn(sat) };
  }

  async placedOn(sat: SatellitePrincipal): Promise<SatelliteHeartbeatResponseDto['deployments']> {
    const rows: { id: string; status: DeploymentStatus }[] = await this.db.query(
      // A front serving through another instance, its own model retired, wants nothing running.
      `SELECT id, CASE WHEN serving_id IS NOT NULL AND retire_at IS NULL THEN 'stopped' ELSE status END AS status
         FROM deployments WHERE orbit_id = $1 AND satellite_id = $2 ORDER BY created_at`,
      [sat.orbitId, sat.satelliteId],
    );
    return rows.map((r) => ({ id: r.id, status: r.status, wanted: WANTED.includes(r.status) }));
  }

  /**
   * Answers a satellite asking whether `token` may call `deploymentId` directly: the token must be
   * a user's (JWT or API key) who may read deployments in the deployment's orbit.
   */
  async authorize(
    sat: SatellitePrincipal,
    callerCtx: RequestContext | null,
    deploymentId: string,
  ): Promise<{ allowed: boolean; reason?: string }> {
    const rows: { organization_id: string; orbit_id: string }[] = await this.db.query(
      'SELECT organization_id, orbit_id FROM deployments WHERE id = $1 AND orbit_id = $2 AND satellite_id = $3',
      [deploymentId, sat.orbitId, sat.satelliteId],
    );
    if (!rows[0]) return { allowed: false, reason: 'unknown deployment' };
    if (!callerCtx || callerCtx.principal.kind !== 'user')
      return { allowed: false, reason: 'invalid credentials' };
    try {
      await this.access.orbit(callerCtx, rows[0].organization_id, rows[0].orbit_id, [
        'deployment',
        'read',
      ]);
      return { allowed: true };
    } catch (e) {
      const err = ensureError(e);
      if (
        (err as { status?: number }).status === 403 ||
        (err as { status?: number }).status === 404
      )
        return { allowed: false, reason: 'not allowed' };
      throw err;
    }
  }

  /* ---------------- task hooks ---------------- */

  private async onDeployClaimed(m: EntityManager, t: Task): Promise<void> {
    if (!t.deploymentId) return;
    const before: { status: string }[] = await m.query(
      'SELECT status FROM deployments WHERE id = $1',
      [t.deploymentId],
    );
    const changed: unknown = await m.query(
      `UPDATE deployments SET status = 'deploying', phases = jsonb_build_object('queued', phases->'queued', 'claimed', to_jsonb(now())), updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'deploying', 'failed', 'not_responding', 'active') RETURNING id`,
      [t.deploymentId],
    );
    if (before[0]?.status !== 'deploying') await this.announce(m, returnedIds(changed));
  }

  private async onDeploySucceeded(m: EntityManager, t: Task): Promise<void> {
    if (!t.deploymentId) return;
    const r = t.result ?? {};
    const before: { status: string }[] = await m.query(
      'SELECT status FROM deployments WHERE id = $1',
      [t.deploymentId],
    );
    await m.query(
      `UPDATE deployments SET status = 'active', status_reason = NULL, inference_url = $2, schema = $3, runtime = COALESCE($4, runtime),
              phases = CASE WHEN phases ? 'healthy' THEN phases ELSE phases || jsonb_build_object('healthy', to_jsonb(now())) END,
              health = jsonb_build_object('healthy', true, 'state', 'running'), last_health_at = now(), updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'deploying', 'not_responding', 'active', 'failed')`,
      [
        t.deploymentId,
        typeof r.inferenceUrl === 'string' ? r.inferenceUrl : null,
        r.schema ?? null,
        typeof r.runtime === 'string' ? r.runtime : null,
      ],
    );
    if (before[0] && before[0].status !== 'active') await this.announce(m, [t.deploymentId]);
    await this.follow.promote(m, t.deploymentId);
  }

  private async onDeployFailed(m: EntityManager, t: Task): Promise<void> {
    if (!t.deploymentId) return;
    this.routes.forgetDeployment(t.deploymentId);
    const logs = Array.isArray(t.result?.logs) ? (t.result.logs as string[]) : null;
    const reason = logs?.length
      ? `${t.error}\n--- last log lines ---\n${logs.join('\n')}`
      : t.error;
    const changed: unknown = await m.query(
      `UPDATE deployments SET status = 'failed', status_reason = $2, inference_url = NULL, updated_at = now(),
              logs = COALESCE($3::jsonb, logs), logs_at = CASE WHEN $3::jsonb IS NULL THEN logs_at ELSE now() END
        WHERE id = $1 AND status IN ('pending', 'deploying', 'not_responding', 'active') RETURNING id`,
      [t.deploymentId, reason, logs ? JSON.stringify(logs.slice(-LOG_LINES_KEPT)) : null],
    );
    await this.announce(m, returnedIds(changed));
  }

  private async onUndeploySucceeded(m: EntityManager, t: Task): Promise<void> {
    if (!t.deploymentId) return;
    this.routes.forgetDeployment(t.deploymentId);
    await m.query('DELETE FROM deployments WHERE id = $1 AND delete_requested', [t.deploymentId]);
    const changed: unknown = await m.query(
      `UPDATE deployments SET status = 'stopped', status_reason = NULL, inference_url = NULL, health = NULL, updated_at = now()
        WHERE id = $1 AND status = 'stopping' RETURNING id`,
      [t.deploymentId],
    );
    await this.announce(m, returnedIds(changed));
  }

  private async onUndeployFailed(m: EntityManager, t: Task): Promise<void> {
    if (!t.deploymentId) return;
    await m.query(
      `UPDATE deployments SET status = 'failed', status_reason = $2, updated_at = now() WHERE id = $1 AND status = 'stopping'`,
      [t.deploymentId, `Stopping failed: ${t.error}; delete with force to remove the record`],
    );
  }

  /** Active deployments whose satellite went quiet are not responding. */
  async markStale(): Promise<number> {
    const r: [unknown[], number] = await this.db.query(
      `UPDATE deployments SET status = 'not_responding', status_reason = 'The satellite has not reported on this deployment for ' || $1 || ' s', updated_at = now()
        WHERE status = 'active' AND (last_health_at IS NULL OR last_health_at < now() - make_interval(secs => $1::double precision)) RETURNING id`,
      [HEALTH_STALE_MS / 1000],
    );
    await this.announce(this.db.manager, returnedIds(r));
    return r[1];
  }
}

/** Ids from an `UPDATE … RETURNING id` answer (the pg driver gives `[rows, count]`). */
function returnedIds(result: unknown): string[] {
  const rows =
    Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as { id: string }[]) : [];
  return rows.map((r) => r.id);
}

function userId(ctx: RequestContext): string | null {
  return ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
    ? ctx.principal.userId
    : null;
}

/** Validates a `{NAME: string}` map from a request body. */
function stringMap(
  value: Record<string, unknown>,
  field: string,
  keyOk: (k: string) => boolean,
  maxValue: number,
): Record<string, string> {
  const problems: FieldProblem[] = [];
  const entries = Object.entries(value);
  if (entries.length > MAX_ENV) problems.push({ field, problems: [`at most ${MAX_ENV} entries`] });
  for (const [k, v] of entries) {
    if (!keyOk(k))
      problems.push({
        field: `${field}.${k}`,
        problems: ['name must be letters, digits and _, not starting with a digit'],
      });
    if (typeof v !== 'string')
      problems.push({ field: `${field}.${k}`, problems: ['must be a string'] });
    else if (v.length > maxValue)
      problems.push({
        field: `${field}.${k}`,
        problems: [`must be at most ${maxValue} characters`],
      });
  }
  if (problems.length) throw new ValidationFailed(`Invalid ${field}`, problems);
  return value as Record<string, string>;
}

function toResponse(r: DeploymentRow): DeploymentResponseDto {
  const health: DeploymentHealthDto | null =
    r.health && r.last_health_at
      ? {
          healthy: r.health.healthy,
          state: r.health.state,
          error: r.health.error ?? null,
          checkedAt: r.last_health_at.toISOString(),
        }
      : null;
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    satelliteId: r.satellite_id,
    satelliteName: r.satellite_name,
    artifactId: r.artifact_id,
    trackId: r.track_id,
    alias: r.alias,
    name: r.name,
    description: r.description,
    format: r.format,
    runtime: r.runtime,
    status: r.status,
    statusReason: r.status_reason,
    env: r.env,
    secrets: r.secret_refs,
    resources: r.resources,
    inferenceUrl: r.inference_url,
    schema: r.schema,
    phases: r.phases,
    health,
    lastTask: r.task_id
      ? {
          id: r.task_id,
          type: r.task_type!,
          status: r.task_status!,
          attempt: r.task_attempt!,
          maxAttempts: r.task_max_attempts!,
          progress: r.task_progress,
          error: r.task_error,
        }
      : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
