import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'Apogee-Signature';

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${signatureOf(secret, t, body)}`;
}

/**
 * Verifies a received `Apogee-Signature` header (what a receiver does). `toleranceSec` bounds the
 * age of the timestamp, which is what defeats replays of a captured delivery.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  toleranceSec = 300,
  now = Date.now(),
): boolean {
  const parts = Object.fromEntries(
    header.split(',').map((p) => p.trim().split('=', 2) as [string, string]),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || !/^[0-9a-f]{64}$/.test(parts.v1)) return false;
  if (Math.abs(now / 1000 - t) > toleranceSec) return false;
  return timingSafeEqual(
    Buffer.from(parts.v1, 'hex'),
    Buffer.from(signatureOf(secret, t, body), 'hex'),
  );
}
