import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { SatellitePrincipal } from '../common/auth/principal.js';
import { ensureError } from '../common/errors.js';
import { TaskNotifier } from './task-notifier.service.js';
import {
  TASK_TYPES,
  TaskLeaseLost,
  TaskNotFound,
  toTask,
  type Task,
  type TaskEnqueue,
  type TaskHooks,
  type TaskRow,
  type TaskType,
} from './task.types.js';

/** Longest a claim may wait, ms (below common proxy idle timeouts of 30 s). */
export const CLAIM_WAIT_MAX_MS = 25_000;
/** Lease of a claimed task unless the claimer asks for another, ms. */
export const DEFAULT_LEASE_MS = 30_000;
/** A waiting claim re-checks at least this often (tasks whose backoff ended, lost wake-ups), ms. */
const RECHECK_MS = 2_000;

export interface ClaimOptions {
  /** How long to wait for a task, ms (0 = answer at once). */
  waitMs: number;
  /** Lease of the claimed task, ms. */
  leaseMs: number;
  /** Only these task types (default: those in the satellite's capabilities). */
  types?: TaskType[];
}

interface ClaimFilter {
  types: string[];
  formats: string[] | null;
}

/**
 * The satellite task queue: enqueue inside a feature's transaction, claim with
 * `FOR UPDATE SKIP LOCKED` and a lease (long-polled, woken by {@link TaskNotifier}), extend the
 * lease by heartbeats, settle, and sweep expired leases back to the queue with exponential backoff.
 */
@Injectable()
export class TasksService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Tasks');
  private readonly hooks = new Map<TaskType, TaskHooks>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** Backoff before retry n+1 is `backoffBaseMs · 2^(n-1)`, capped at `backoffMaxMs`, ±20 % jitter. */
  backoffBaseMs = 1_000;
  backoffMaxMs = 300_000;
  /** How often expired leases are swept, ms. */
  sweepIntervalMs = 1_000;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly notifier: TaskNotifier,
  ) {}

  onApplicationBootstrap(): void {
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /** A feature declares what happens to its rows when its tasks change state. */
  registerHooks(type: TaskType, hooks: TaskHooks): void {
    this.hooks.set(type, hooks);
  }

  /**
   * Adds a task inside the caller's transaction. Call {@link wake} with the orbit once the
   * transaction has committed (under PostgreSQL the NOTIFY reaches other instances at commit).
   */
  async enqueue(m: EntityManager, t: TaskEnqueue): Promise<string> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO tasks (organization_id, orbit_id, satellite_id, deployment_id, type, requires_format, payload, status, max_attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id`,
      [
        t.organizationId,
        t.orbitId,
        t.satelliteId ?? null,
        t.deploymentId ?? null,
        t.type,
        t.requiresFormat ?? null,
        t.payload ?? {},
        t.maxAttempts ?? 3,
      ],
    );
    await this.notifier.publish(m, t.orbitId);
    return rows[0]!.id;
  }

  /** Wakes claimers waiting in `orbitId` (after the enqueueing transaction committed). */
  wake(orbitId: string): void {
    this.notifier.wake(orbitId);
  }

  /** Cancels a deployment's tasks that nobody has claimed yet (e.g. a deploy superseded by a stop). */
  async cancelPending(m: EntityManager, deploymentId: string, types: TaskType[]): Promise<number> {
    const rows: unknown[] = await m.query(
      `UPDATE tasks SET status = 'cancelled', finished_at = now(), updated_at = now(), error = 'superseded'
        WHERE deployment_id = $1 AND status = 'pending' AND type = ANY($2::text[]) RETURNING id`,
      [deploymentId, types],
    );
    return rows.length;
  }

  /**
   * Claims the next task this satellite may run, waiting up to `waitMs` for one to be queued.
   * Returns null when none came (or the app is shutting down, or `signal` aborted).
   */
  async claim(
    sat: SatellitePrincipal,
    opts: ClaimOptions,
    signal?: AbortSignal,
  ): Promise<Task | null> {
    const filter = await this.filterFor(sat, opts.types);
    if (!filter.types.length) return null;
    const deadline = Date.now() + Math.min(Math.max(opts.waitMs, 0), CLAIM_WAIT_MAX_MS);
    let woken = true;
    let wakeUp: (() => void) | null = null;
    const unsubscribe = this.notifier.subscribe(sat.orbitId, () => {
      woken = true;
      wakeUp?.();
    });
    const onAbort = () => wakeUp?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal?.aborted || this.notifier.closing) return null;
        woken = false;
        const task = await this.tryClaim(sat, filter, opts.leaseMs);
        if (task) return task;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        if (woken) continue;
        // A task backing off after a failure becomes claimable without anyone waking us.
        const backoff = await this.nextRunAfterMs(sat, filter);
        if (woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(
            resolve,
            Math.max(1, Math.min(remaining, RECHECK_MS, backoff ?? Infinity)),
          );
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = null;
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async filterFor(sat: SatellitePrincipal, types?: TaskType[]): Promise<ClaimFilter> {
    const rows: { capabilities: { taskTypes?: string[]; formats?: string[] } }[] =
      await this.db.query('SELECT capabilities FROM satellites WHERE id = $1', [sat.satelliteId]);
    const caps = rows[0]?.capabilities ?? {};
    const accepted = caps.taskTypes?.length ? caps.taskTypes : ['deploy', 'undeploy'];
    return {
      types: (types?.length ? types : TASK_TYPES).filter((t) => accepted.includes(t)),
      formats: caps.formats?.length ? caps.formats : null,
    };
  }

  /**
   * One claim attempt. A task whose deployment already has a task in flight waits its turn, so
   * a deployment's deploy and undeploy never run at once.
   */
  private async tryClaim(
    sat: SatellitePrincipal,
    f: ClaimFilter,
    leaseMs: number,
  ): Promise<Task | null> {
    return this.db.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE tasks t
            SET status = 'claimed', locked_by = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
                claimed_at = now(), started_at = NULL, progress = NULL, updated_at = now()
          WHERE t.id = (
            SELECT c.id FROM tasks c
             WHERE c.orbit_id = $1 AND c.status = 'pending' AND c.run_after <= now()
               AND (c.satellite_id IS NULL OR c.satellite_id = $2)
               AND c.type = ANY($4::text[])
               AND (c.requires_format IS NULL OR $5::text[] IS NULL OR c.requires_format = ANY($5::text[]))
               AND (c.deployment_id IS NULL OR NOT EXISTS (
                     SELECT 1 FROM tasks o WHERE o.deployment_id = c.deployment_id AND o.status IN ('claimed', 'running')))
             ORDER BY c.run_after, c.created_at
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
          RETURNING t.*`,
        [sat.orbitId, sat.satelliteId, leaseMs, f.types, f.formats],
      );
      if (!rows[0]) return null;
      const task = toTask(rows[0]);
      await this.hooks.get(task.type)?.onClaimed?.(m, task);
      return task;
    });
  }

  /** Ms until the earliest backing-off task this satellite could claim becomes due, or null. */
  private async nextRunAfterMs(sat: SatellitePrincipal, f: ClaimFilter): Promise<number | null> {
    const rows: { ms: number | null }[] = await this.db.query(
      `SELECT (extract(epoch FROM min(run_after) - now()) * 1000)::float8 AS ms FROM tasks
        WHERE orbit_id = $1 AND status = 'pending' AND run_after > now() AND (satellite_id IS NULL OR satellite_id = $2) AND type = ANY($3::text[])`,
      [sat.orbitId, sat.satelliteId, f.types],
    );
    return rows[0]?.ms ?? null;
  }

  /** Extends the lease of a task this satellite holds and records its progress; marks it running. */
  async heartbeat(
    sat: SatellitePrincipal,
    id: string,
    opts: { progress?: string; leaseMs: number },
  ): Promise<Task> {
    return this.db.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE tasks SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
                progress = COALESCE($4, progress), status = 'running', started_at = COALESCE(started_at, now()), updated_at = now()
          WHERE id = $1 AND orbit_id = $5 AND locked_by = $2 AND status IN ('claimed', 'running') RETURNING *`,
        [id, sat.satelliteId, opts.leaseMs, opts.progress ?? null, sat.orbitId],
      );
      if (!rows[0]) throw await this.whyNotHeld(m, sat, id);
      const task = toTask(rows[0]);
      await this.hooks.get(task.type)?.onProgress?.(m, task);
      return task;
    });
  }

  /** Marks a task this satellite holds as succeeded. */
  async complete(
    sat: SatellitePrincipal,
    id: string,
    result: Record<string, unknown>,
  ): Promise<Task> {
    return this.db.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE tasks SET status = 'succeeded', result = $3, lease_expires_at = NULL, finished_at = now(), updated_at = now()
          WHERE id = $1 AND orbit_id = $4 AND locked_by = $2 AND status IN ('claimed', 'running') RETURNING *`,
        [id, sat.satelliteId, result, sat.orbitId],
      );
      if (!rows[0]) throw await this.whyNotHeld(m, sat, id);
      const task = toTask(rows[0]);
      await this.hooks.get(task.type)?.onSucceeded?.(m, task);
      return task;
    });
  }

  /**
   * Reports a failure of a task this satellite holds. A retryable failure with attempts left goes
   * back to the queue after a backoff; otherwise the task fails with this error.
   */
  async fail(
    sat: SatellitePrincipal,
    id: string,
    opts: { error: string; retryable: boolean; result?: Record<string, unknown> },
  ): Promise<Task> {
    const task = await this.db.transaction(async (m) => {
      const held: TaskRow[] = await m.query(
        `SELECT * FROM tasks WHERE id = $1 AND orbit_id = $3 AND locked_by = $2 AND status IN ('claimed', 'running') FOR UPDATE`,
        [id, sat.satelliteId, sat.orbitId],
      );
      if (!held[0]) throw await this.whyNotHeld(m, sat, id);
      return this.settleFailure(
        m,
        toTask(held[0]),
        opts.error,
        opts.retryable,
        opts.result ?? null,
      );
    });
    if (task.status === 'pending') this.wake(task.orbitId);
    return task;
  }

  private async settleFailure(
    m: EntityManager,
    t: Task,
    error: string,
    retryable: boolean,
    result: Record<string, unknown> | null,
  ): Promise<Task> {
    if (retryable && t.attempt < t.maxAttempts) {
      const rows = await updateReturning(
        m,
        `UPDATE tasks SET status = 'pending', attempt = attempt + 1, locked_by = NULL, lease_expires_at = NULL,
                run_after = now() + make_interval(secs => $2::double precision / 1000), error = $3, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [t.id, this.backoffMs(t.attempt), error],
      );
      await this.notifier.publish(m, t.orbitId);
      return toTask(rows[0]!);
    }
    const rows = await updateReturning(
      m,
      `UPDATE tasks SET status = 'failed', lease_expires_at = NULL, finished_at = now(), error = $2, result = $3, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [t.id, error, result],
    );
    const failed = toTask(rows[0]!);
    await this.hooks.get(failed.type)?.onFailed?.(m, failed);
    return failed;
  }

  /** Backoff after attempt `n` failed, ms. */
  backoffMs(attempt: number): number {
    const base = Math.min(this.backoffBaseMs * 2 ** (attempt - 1), this.backoffMaxMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /**
   * Returns every task whose lease expired to the queue (attempt + 1, backoff), or fails it when
   * it has used all its attempts. Safe to run on several API instances at once.
   */
  async sweep(): Promise<number> {
    const requeued = new Set<string>();
    const n = await this.db.transaction(async (m) => {
      const expired: TaskRow[] = await m.query(
        `SELECT * FROM tasks WHERE status IN ('claimed', 'running') AND lease_expires_at < now()
          ORDER BY lease_expires_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
      );
      for (const row of expired) {
        const t = toTask(row);
        const settled = await this.settleFailure(
          m,
          t,
          `Lease expired: satellite ${t.lockedBy} stopped reporting (attempt ${t.attempt} of ${t.maxAttempts})`,
          true,
          null,
        );
        if (settled.status === 'pending') requeued.add(settled.orbitId);
      }
      return expired.length;
    });
    for (const orbit of requeued) this.wake(orbit);
    return n;
  }

  private async sweepSafely(): Promise<void> {
    if (this.sweeping || this.notifier.closing) return;
    this.sweeping = true;
    try {
      const n = await this.sweep();
      if (n) this.log.log(`Returned ${n} task(s) with expired leases`);
    } catch (e) {
      if (!this.notifier.closing)
        this.log.warn(`Sweeping expired leases failed: ${ensureError(e).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  /** A task of this satellite's orbit (any status). */
  async get(sat: SatellitePrincipal, id: string): Promise<Task> {
    const rows: TaskRow[] = await this.db.query(
      'SELECT * FROM tasks WHERE id = $1 AND orbit_id = $2',
      [id, sat.orbitId],
    );
    if (!rows[0]) throw new TaskNotFound(id);
    return toTask(rows[0]);
  }

  /** The latest tasks of a deployment, newest first. */
  async forDeployment(deploymentId: string, limit = 20): Promise<Task[]> {
    const rows: TaskRow[] = await this.db.query(
      'SELECT * FROM tasks WHERE deployment_id = $1 ORDER BY created_at DESC LIMIT $2',
      [deploymentId, limit],
    );
    return rows.map(toTask);
  }

  private async whyNotHeld(m: EntityManager, sat: SatellitePrincipal, id: string): Promise<Error> {
    const rows: TaskRow[] = await m.query('SELECT * FROM tasks WHERE id = $1 AND orbit_id = $2', [
      id,
      sat.orbitId,
    ]);
    // A task of another orbit is not revealed; one of this orbit held by someone else is a conflict.
    if (!rows[0]) return new TaskNotFound(id);
    return new TaskLeaseLost(id, rows[0].status);
  }
}

/** `UPDATE … RETURNING` rows (node-postgres through TypeORM answers `[rows, count]` for updates). */
async function updateReturning(
  m: EntityManager,
  sql: string,
  params: unknown[],
): Promise<TaskRow[]> {
  const r: unknown = await m.query(sql, params);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number')
    return r[0] as TaskRow[];
  return r as TaskRow[];
}
