import { randomBytes } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Conflict, NotFound, ValidationFailed, ensureError } from '../common/errors.js';
import { TasksService } from '../tasks/tasks.service.js';
import { TrackHooks, type AliasMovedEvent } from '../tracks/track-hooks.js';
import { INFERENCE_ROUTE_TTL_MS, InferenceRouteCache } from './inference-route-cache.js';

/**
 * How long a replaced model instance keeps running after the switch, ms: longer than any API
 * instance may still route to it from its cache, so no request meets a stopped server.
 */
export const RETIRE_GRACE_MS = INFERENCE_ROUTE_TTL_MS + 2_000;
const SERVABLE = ['onnx', 'gguf'];

interface Row {
  id: string;
  organization_id: string;
  orbit_id: string;
  satellite_id: string;
  artifact_id: string;
  name: string;
  format: string;
  status: string;
  front_id: string | null;
  serving_id: string | null;
  retire_at: Date | null;
  delete_requested: boolean;
  track_id: string | null;
  alias: string | null;
  inference_url: string | null;
}

/**
 * Deploy by alias. A deployment following `track@alias` is the stable identity users call (the
 * "front"). Moving the alias starts a successor instance on the same satellite: a hidden
 * deployment row (`front_id` = the front) with the new artifact and the front's settings. When
 * the successor is active the front points at it (`serving_id`, `inference_url`, `artifact_id`)
 * in one transaction; the replaced instance keeps running for {@link RETIRE_GRACE_MS} and is then
 * undeployed. Until the switch the front keeps serving the old model.
 */
@Injectable()
export class AliasFollowService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('AliasFollow');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tasks: TasksService,
    private readonly routes: InferenceRouteCache,
    private readonly hooks: TrackHooks,
  ) {}

  onModuleInit(): void {
    this.hooks.registerAliasMovedListener((_ctx, m, e) => this.onAliasMoved(m, e));
    this.hooks.registerDeleteChecker(async (m, track) => {
      const rows: { name: string; alias: string }[] = await m.query(
        `SELECT name, alias FROM deployments
          WHERE track_id = $1 AND front_id IS NULL AND NOT delete_requested AND status <> 'stopped'
          ORDER BY name LIMIT 1`,
        [track.id],
      );
      return rows[0] ? `deployment ${rows[0].name} follows its alias ${rows[0].alias}` : null;
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.retireDue().catch((e: unknown) =>
        this.log.warn(`Retiring replaced instances failed: ${ensureError(e).message}`),
      );
    }, 1_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The artifact `track@alias` holds now (track by id or name); 404 when either is unknown. */
  async resolve(
    m: EntityManager,
    orbitId: string,
    track: string,
    alias: string,
    lock = false,
  ): Promise<{ trackId: string; artifactId: string; version: number }> {
    const rows: { track_id: string; artifact_id: string | null; version: number | null }[] =
      await m.query(
        `SELECT t.id AS track_id, v.artifact_id, v.version
           FROM tracks t
           LEFT JOIN track_aliases a ON a.track_id = t.id AND a.name = $3
           LEFT JOIN track_versions v ON v.id = a.version_id
          WHERE t.orbit_id = $1 AND (t.id::text = $2 OR t.name = $2)
          ORDER BY (t.id::text = $2) DESC LIMIT 1 ${lock ? 'FOR SHARE OF t' : ''}`,
        [orbitId, track, alias],
      );
    const r = rows[0];
    if (!r) throw new NotFound('Track', track);
    if (!r.artifact_id || r.version === null) throw new NotFound('Alias', `${track}@${alias}`);
    return { trackId: r.track_id, artifactId: r.artifact_id, version: r.version };
  }

  /** Validates "exactly one of artifactId or track + alias". */
  static checkTarget(dto: { artifactId?: string; track?: string; alias?: string }): void {
    const byAlias = dto.track !== undefined || dto.alias !== undefined;
    if (byAlias && (dto.artifactId !== undefined || !dto.track || !dto.alias))
      throw new ValidationFailed('Give either artifactId, or track and alias', [
        { field: 'artifactId', problems: ['exactly one of artifactId or track + alias'] },
      ]);
    if (!byAlias && !dto.artifactId)
      throw new ValidationFailed('Give either artifactId, or track and alias', [
        { field: 'artifactId', problems: ['required unless track and alias are given'] },
      ]);
  }

  /** Inside an alias move: each live front following it gets a successor with the new artifact. */
  private async onAliasMoved(m: EntityManager, e: AliasMovedEvent): Promise<void> {
    const fronts: Row[] = await m.query(
      `SELECT * FROM deployments
        WHERE track_id = $1 AND alias = $2 AND front_id IS NULL AND NOT delete_requested
          AND status NOT IN ('stopping', 'stopped')
        FOR UPDATE`,
      [e.trackId, e.alias],
    );
    if (!fronts.length) return;
    const arts: { format: string; status: string }[] = await m.query(
      'SELECT format, status FROM artifacts WHERE id = $1',
      [e.toArtifactId],
    );
    const art = arts[0];
    if (!art || art.status !== 'uploaded' || !SERVABLE.includes(art.format))
      throw new Conflict(
        'alias_not_deployable',
        `Deployment ${fronts[0]!.name} follows ${e.trackName}@${e.alias}; version ${e.toVersion} cannot be deployed (artifact ${art ? `${art.status} ${art.format}` : 'missing'})`,
      );
    for (const d of fronts) {
      // A successor still starting for an earlier move is superseded.
      await this.dropInstances(m, d.id, d.serving_id);
      if (d.artifact_id === e.toArtifactId) continue;
      if (d.status !== 'active' && d.status !== 'not_responding') {
        // Nothing served yet: deploy the new version in place.
        await this.tasks.cancelPending(m, d.id, ['deploy']);
        await m.query(
          `UPDATE deployments SET artifact_id = $2, format = $3, status = 'pending', status_reason = NULL,
                  phases = jsonb_build_object('queued', to_jsonb(now())), updated_at = now() WHERE id = $1`,
          [d.id, e.toArtifactId, art.format],
        );
        await this.enqueueDeploy(m, d, d.id, art.format);
        continue;
      }
      const name = `${d.name.slice(0, 70)}@v${e.toVersion}-${randomBytes(4).toString('hex')}`;
      const rows: { id: string }[] = await m.query(
        `INSERT INTO deployments (organization_id, orbit_id, satellite_id, artifact_id, name, description, format, runtime, status,
                                 env, secret_refs, resources, phases, created_by, front_id)
         SELECT organization_id, orbit_id, satellite_id, $2, $3, description, $4, runtime, 'pending',
                env, secret_refs, resources, jsonb_build_object('queued', to_jsonb(now())), created_by, id
           FROM deployments WHERE id = $1 RETURNING id`,
        [d.id, e.toArtifactId, name, art.format],
      );
      await this.enqueueDeploy(m, d, rows[0]!.id, art.format);
    }
    this.wakeSoon(e.orbitId);
  }

  /**
   * After a deploy task succeeded: when `id` is a successor instance, its front switches to it and
   * the instance it replaces is retired after the grace period.
   */
  async promote(m: EntityManager, id: string): Promise<void> {
    const rows: Row[] = await m.query(
      `SELECT * FROM deployments WHERE id = $1 AND front_id IS NOT NULL AND status = 'active' AND retire_at IS NULL AND NOT delete_requested`,
      [id],
    );
    const s = rows[0];
    if (!s) return;
    const fronts: Row[] = await m.query('SELECT * FROM deployments WHERE id = $1 FOR UPDATE', [
      s.front_id,
    ]);
    const d = fronts[0];
    if (!d || d.delete_requested || d.status === 'stopping' || d.status === 'stopped') {
      await m.query('UPDATE deployments SET retire_at = now() WHERE id = $1', [s.id]);
      return;
    }
    await m.query(
      `UPDATE deployments f SET serving_id = s.id, artifact_id = s.artifact_id, format = s.format, inference_url = s.inference_url,
              schema = s.schema, runtime = s.runtime, status = 'active', status_reason = NULL, health = s.health,
              last_health_at = now(), updated_at = now()
         FROM deployments s WHERE f.id = $1 AND s.id = $2`,
      [d.id, s.id],
    );
    if (d.serving_id === s.id) return;
    await m.query(
      `UPDATE deployments SET retire_at = now() + make_interval(secs => $2::double precision) WHERE id = $1`,
      [d.serving_id ?? d.id, RETIRE_GRACE_MS / 1000],
    );
    // No caching for the front until the switch has surely committed; then the new target is cached.
    this.routes.hold(d.id, 2_000);
    this.log.log(`Deployment ${d.name} now serves ${s.artifact_id} (instance ${s.id})`);
  }

  /**
   * Stops the front's extra instances (successors and the serving one, except `keep`): they are
   * undeployed and their rows removed once stopped. Also used when the front stops or goes.
   */
  async dropInstances(m: EntityManager, frontId: string, keep: string | null): Promise<void> {
    const rows: Row[] = await m.query(
      `SELECT * FROM deployments WHERE front_id = $1 AND id IS DISTINCT FROM $2 FOR UPDATE`,
      [frontId, keep],
    );
    for (const r of rows) await this.retire(m, r);
  }

  /** Retire instances whose grace period is over. */
  async retireDue(): Promise<void> {
    const orbits = await this.db.transaction(async (m) => {
      const rows: Row[] = await m.query(
        'SELECT * FROM deployments WHERE retire_at <= now() FOR UPDATE SKIP LOCKED',
      );
      for (const r of rows) await this.retire(m, r);
      return new Set(rows.map((r) => r.orbit_id));
    });
    for (const o of orbits) this.tasks.wake(o);
  }

  private async retire(m: EntityManager, r: Row): Promise<void> {
    await m.query('UPDATE deployments SET retire_at = NULL WHERE id = $1', [r.id]);
    if (r.front_id) {
      if (r.status === 'stopped' || r.status === 'failed') {
        await this.tasks.cancelPending(m, r.id, ['deploy', 'undeploy']);
        await m.query('DELETE FROM deployments WHERE id = $1', [r.id]);
        if (r.status === 'stopped') return;
      } else {
        await this.tasks.cancelPending(m, r.id, ['deploy']);
        await m.query(
          `UPDATE deployments SET status = 'stopping', delete_requested = true, updated_at = now() WHERE id = $1`,
          [r.id],
        );
      }
    }
    // A front's own model (it now serves through an instance): undeploy it, the row stays.
    await this.tasks.enqueue(m, {
      organizationId: r.organization_id,
      orbitId: r.orbit_id,
      satelliteId: r.satellite_id,
      deploymentId: r.front_id && r.status !== 'failed' ? r.id : undefined,
      type: 'undeploy',
      payload: { deploymentId: r.id, forDelete: !!r.front_id, retired: true },
    });
  }

  private async enqueueDeploy(m: EntityManager, d: Row, id: string, format: string) {
    await this.tasks.enqueue(m, {
      organizationId: d.organization_id,
      orbitId: d.orbit_id,
      satelliteId: d.satellite_id,
      deploymentId: id,
      type: 'deploy',
      requiresFormat: format,
      payload: { deploymentId: id },
    });
  }

  /** The alias move enqueued inside its transaction; wake claimers once it has committed. */
  private wakeSoon(orbitId: string): void {
    for (const ms of [50, 500]) setTimeout(() => this.tasks.wake(orbitId), ms).unref();
  }
}
