import { createHmac, timingSafeEqual } from 'node:crypto';

/** Minimal HS256 JWT: the only algorithm we issue and accept (no `alg` negotiation). */
export function signJwt(payload: Record<string, unknown>, key: Buffer): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createHmac('sha256', key).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${sig}`;
}

/** Returns the payload when the signature is valid and `exp` (seconds) is in the future; else null. */
export function verifyJwt<T extends { exp: number }>(
  token: string,
  key: Buffer,
  nowSec = Date.now() / 1000,
): T | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, body, sig] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${header}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    if (h.alg !== 'HS256') return null;
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as T;
    return typeof payload.exp === 'number' && payload.exp > nowSec ? payload : null;
  } catch {
    return null;
  }
}
