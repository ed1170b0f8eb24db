import type { EntityManager } from 'typeorm';
import { Conflict, NotFound } from '../common/errors.js';

export const TASK_TYPES = ['deploy', 'undeploy', 'load_model'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const TASK_STATUSES = [
  'pending',
  'claimed',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** One task of the satellite queue, as services see it. */
export interface Task {
  id: string;
  organizationId: string;
  orbitId: string;
  /** The satellite that must run it; null means any satellite of the orbit that can. */
  satelliteId: string | null;
  deploymentId: string | null;
  type: TaskType;
  /** Model format the claimer must serve (null: any). */
  requiresFormat: string | null;
  payload: Record<string, unknown>;
  status: TaskStatus;
  /** 1-based number of the current (or last) attempt. */
  attempt: number;
  maxAttempts: number;
  /** Satellite holding the lease. */
  lockedBy: string | null;
  leaseExpiresAt: Date | null;
  runAfter: Date;
  progress: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  createdAt: Date;
  claimedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface TaskRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  satellite_id: string | null;
  deployment_id: string | null;
  type: TaskType;
  requires_format: string | null;
  payload: Record<string, unknown>;
  status: TaskStatus;
  attempt: number;
  max_attempts: number;
  locked_by: string | null;
  lease_expires_at: Date | null;
  run_after: Date;
  progress: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  created_at: Date;
  claimed_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    satelliteId: r.satellite_id,
    deploymentId: r.deployment_id,
    type: r.type,
    requiresFormat: r.requires_format,
    payload: r.payload,
    status: r.status,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    lockedBy: r.locked_by,
    leaseExpiresAt: r.lease_expires_at,
    runAfter: r.run_after,
    progress: r.progress,
    result: r.result,
    error: r.error,
    createdAt: r.created_at,
    claimedAt: r.claimed_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** What a feature asks the queue to run. */
export interface TaskEnqueue {
  organizationId: string;
  orbitId: string;
  satelliteId?: string | null;
  deploymentId?: string | null;
  type: TaskType;
  requiresFormat?: string | null;
  payload?: Record<string, unknown>;
  /** Attempts before the task fails for good. Default 3. */
  maxAttempts?: number;
}

/**
 * What a feature does when one of its tasks changes state; each runs in the transaction that
 * changed the task, so the feature's rows and the task never disagree.
 */
export interface TaskHooks {
  onClaimed?(m: EntityManager, task: Task): Promise<void>;
  onProgress?(m: EntityManager, task: Task): Promise<void>;
  onSucceeded?(m: EntityManager, task: Task): Promise<void>;
  /** The task failed for good (not retried any more). */
  onFailed?(m: EntityManager, task: Task): Promise<void>;
}

export class TaskNotFound extends NotFound {
  constructor(id: string) {
    super('Task', id);
  }
}

/** The caller no longer holds the task's lease (it expired and was handed on, or was never its). */
export class TaskLeaseLost extends Conflict {
  constructor(id: string, status: TaskStatus) {
    super('task_lease_lost', `This satellite no longer holds task ${id} (now ${status})`, {
      status,
    });
  }
}
