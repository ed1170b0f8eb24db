import type { Headers } from './errors.js';

/** Methods that are safe to repeat: the server applies them at most once in effect. */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Why a request attempt failed, as far as retrying is concerned. */
export type AttemptFailure =
  | { kind: 'status'; status: number; headers: Headers }
  | { kind: 'connection'; errorCode?: string }
  | { kind: 'timeout' };

/**
 * Decides whether a failed attempt should be retried.
 *
 * - 429, and 409 with `Retry-After`: always (the server asked us to come back).
 * - 408 and 5xx: only for idempotent requests; a POST may already have taken effect.
 * - Connection errors: idempotent requests always; others only when the connection was refused
 *   (the request never reached the server).
 * - Timeouts: idempotent requests only.
 */
export function shouldRetry(failure: AttemptFailure, idempotent: boolean): boolean {
  switch (failure.kind) {
    case 'status': {
      const { status, headers } = failure;
      if (status === 429) return true;
      if (status === 409) return retryAfterMs(headers) !== undefined;
      if (status === 408 || status >= 500) return idempotent;
      return false;
    }
    case 'connection':
      return idempotent || failure.errorCode === 'ECONNREFUSED';
    case 'timeout':
      return idempotent;
  }
}

/** Reads `retry-after-ms`, then `Retry-After` (seconds or an HTTP date); undefined when absent. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && ms !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers['retry-after'];
  if (ra === undefined || ra === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.max(0, Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Backoff before retry number `attempt` (1-based): the server's `Retry-After` if sane, else exponential with jitter. */
export function retryDelayMs(attempt: number, headers: Headers = {}, random = Math.random): number {
  const asked = retryAfterMs(headers);
  if (asked !== undefined && asked <= 60_000) return asked;
  const base = Math.min(500 * 2 ** (attempt - 1), 8_000);
  // Full spread would make some retries near-instant; keep at least 75 % of the base.
  return base * (1 - 0.25 * random());
}
