import type { TaskResponseDto } from './dto/task.dto.js';
import type { Task } from './task.types.js';

export function toTaskResponse(t: Task): TaskResponseDto {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    payload: t.payload,
    deploymentId: t.deploymentId,
    satelliteId: t.satelliteId,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    leaseExpiresAt: t.leaseExpiresAt?.toISOString() ?? null,
    progress: t.progress,
    result: t.result,
    error: t.error,
    createdAt: t.createdAt.toISOString(),
    claimedAt: t.claimedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}
