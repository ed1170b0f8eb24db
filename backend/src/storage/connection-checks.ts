import { ensureError } from '../common/errors.js';
import type { ConnectionCheck } from './storage-driver.js';

/** A probe key under a reserved prefix, so a failed delete leaves an obviously harmless object. */
export function probeKey(): string {
  return `.apogee-probe/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export const PROBE_BODY = 'apogee connection test';

/**
 * Runs list → write → read → delete in order and stops at the first failure, recording each
 * step's outcome and duration. A failed step's `error` is the driver's message, which already
 * names the cause (bad secret, missing bucket, nothing listening…).
 */
export async function runConnectionChecks(
  steps: Record<ConnectionCheck['step'], () => Promise<unknown>>,
): Promise<ConnectionCheck[]> {
  const checks: ConnectionCheck[] = [];
  for (const name of ['list', 'write', 'read', 'delete'] as const) {
    const t0 = Date.now();
    try {
      await steps[name]();
      checks.push({ step: name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      checks.push({ step: name, ok: false, error: ensureError(e).message, ms: Date.now() - t0 });
      break;
    }
  }
  return checks;
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Network-level failures: nothing answered, so the backend is unreachable rather than refusing. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Classifies a thrown value as a network/TLS failure; returns a readable reason or null. */
export function networkFailure(e: unknown, where: string): string | null {
  const err = e as { code?: string; name?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code ?? err?.name;
  if (!code) return null;
  if (TLS_CODES.has(code))
    return `the TLS certificate of ${where} is not trusted (${code}); turn TLS verification off only for test servers`;
  if (NETWORK_CODES.has(code)) return `nothing answers at ${where} (${code})`;
  return null;
}
