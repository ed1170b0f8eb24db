import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** The whole runtime configuration of the API, read once from the environment at boot. */
export interface AppConfig {
  /** `PORT` — HTTP port. Default 8080. */
  port: number;
  /** `HOST` — interface to bind. Default `0.0.0.0`. */
  host: string;
  /** `APOGEE_PUBLIC_URL` — URL clients use to reach the API (signed local URLs point here). Default `http://localhost:{port}`. */
  publicUrl: string;
  /** `APOGEE_DATA_DIR` — where embedded state lives (PGlite database, local storage, generated secrets). Default `./.apogee`. */
  dataDir: string;
  /** `DATABASE_URL` — PostgreSQL connection string; unset means embedded PGlite under `{dataDir}/pgdata`. */
  databaseUrl: string | null;
  /** `APOGEE_DB_POOL` — PostgreSQL pool size. Default 10. */
  dbPoolSize: number;
  /** `APOGEE_SECRET_KEY` — 32-byte key (hex or base64) for AES-256-GCM encryption at rest and token signing. Default: generated once into `{dataDir}/secret.key`. */
  secretKey: Buffer;
  /** `APOGEE_ACCESS_TOKEN_TTL` — access-token lifetime in seconds. Default 900 (15 min). */
  accessTokenTtlSec: number;
  /** `APOGEE_REFRESH_TOKEN_TTL` — refresh-token lifetime in seconds. Default 2592000 (30 days). */
  refreshTokenTtlSec: number;
  /** `APOGEE_ADMIN_EMAIL` / `APOGEE_ADMIN_PASSWORD` — bootstrap admin created on first start; password generated and printed once if unset. */
  adminEmail: string;
  adminPassword: string | null;
  /** `APOGEE_SIGNUP` — allow self sign-up (`true`/`false`). Default true. */
  signupEnabled: boolean;
  /** `APOGEE_COOKIE_SECURE` — mark auth cookies Secure. Default: true when publicUrl is https. */
  cookieSecure: boolean;
  /** `APOGEE_SIGNIN_MAX_FAILURES` — failed sign-ins per email+IP within the window before throttling. Default 5. */
  signinMaxFailures: number;
  /** `APOGEE_SIGNIN_WINDOW` — throttling window in seconds. Default 300. */
  signinWindowSec: number;
  /** `APOGEE_STORAGE_DIR` — root of the default local-disk storage backend. Default `{dataDir}/storage`. */
  storageDir: string;
  /** `APOGEE_MAX_ARTIFACT_BYTES` — default per-orbit limit on one artifact's size, bytes. Default 5 TiB. */
  maxArtifactBytes: number;
  /** `APOGEE_SIGNED_URL_TTL` — lifetime of signed upload/download URLs in seconds. Default 3600. */
  signedUrlTtlSec: number;
  /** `APOGEE_MULTIPART_THRESHOLD` — artifacts larger than this upload in parts, bytes. Default 64 MiB. */
  multipartThresholdBytes: number;
  /** `APOGEE_PART_SIZE` — multipart part size, bytes (min 5 MiB, S3's floor); raised per upload so there are at most 10,000 parts. Default 16 MiB. */
  partSizeBytes: number;
  /** `APOGEE_UPLOAD_EXPIRY_HOURS` — an artifact still `pending_upload` after this many hours is aborted and its parts deleted. Default 24. */
  uploadExpiryHours: number;
  /** `APOGEE_UPLOAD_SWEEP_INTERVAL` — how often abandoned uploads are swept, seconds; 0 turns the sweeper off. Default 900. */
  uploadSweepIntervalSec: number;
  /** `LOG_LEVEL` — pino level. Default `info`. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `APOGEE_FRONTEND_DIR` — built dashboard to serve; unset means `frontend/dist` when it exists. */
  frontendDir: string | null;
  /** `APOGEE_CORS_ORIGINS` — comma-separated origins allowed for CORS with credentials (dev dashboard). Default none. */
  corsOrigins: string[];
  /** `APOGEE_WEBHOOKS_ALLOW_PRIVATE` — allow webhook deliveries to loopback and private-range addresses for every organization (`true`/`false`). Default false; an organization admin may also allow it for one organization. */
  webhooksAllowPrivate: boolean;
  /** `APOGEE_WEBHOOKS_RETRY_BASE_MS` — first retry delay of a failed webhook delivery, milliseconds; doubles per attempt (with jitter), capped at 1 h. Default 10000. */
  webhooksRetryBaseMs: number;
  /** `APOGEE_WEBHOOKS_MAX_ATTEMPTS` — attempts per webhook delivery before it is marked failed. Default 8. */
  webhooksMaxAttempts: number;
  /** `APOGEE_WEBHOOKS_TIMEOUT_MS` — timeout of one webhook HTTP attempt, milliseconds. Default 10000. */
  webhooksTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function url(env: Env, name: string, def: string): string {
  const raw = env[name] || def;
  try {
    const u = new URL(raw);
    if (!['http:', 'https:'].includes(u.protocol)) throw new Error('protocol');
    return raw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
}

export function parseSecretKey(raw: string, name = 'APOGEE_SECRET_KEY'): Buffer {
  const s = raw.trim();
  const buf = /^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (buf.length !== 32)
    throw new ConfigError(name, 'must be 32 bytes as 64 hex characters or base64');
  return buf;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Reads and validates the environment as a whole. Throws {@link ConfigError} naming the first bad
 * variable. `loadSecretKey` decides where a missing key comes from (generated file by default).
 */
export function loadConfig(env: Env, loadSecretKey?: (dataDir: string) => Buffer): AppConfig {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDir = path.resolve(env.APOGEE_DATA_DIR || '.apogee');
  const publicUrl = url(env, 'APOGEE_PUBLIC_URL', `http://localhost:${port}`);
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }
  const logLevel = (env.LOG_LEVEL || 'info') as AppConfig['logLevel'];
  if (!LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LEVELS.join(', ')}`);
  const adminEmail = (env.APOGEE_ADMIN_EMAIL || 'admin@apogee.local').trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail))
    throw new ConfigError('APOGEE_ADMIN_EMAIL', 'must be an email address');
  const adminPassword = env.APOGEE_ADMIN_PASSWORD || null;
  if (adminPassword !== null && adminPassword.length < 8) {
    throw new ConfigError('APOGEE_ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const secretKey = env.APOGEE_SECRET_KEY
    ? parseSecretKey(env.APOGEE_SECRET_KEY)
    : (loadSecretKey ?? (() => randomBytes(32)))(dataDir);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl,
    dataDir,
    databaseUrl,
    dbPoolSize: int(env, 'APOGEE_DB_POOL', 10, 1, 500),
    secretKey,
    accessTokenTtlSec: int(env, 'APOGEE_ACCESS_TOKEN_TTL', 900, 10),
    refreshTokenTtlSec: int(env, 'APOGEE_REFRESH_TOKEN_TTL', 30 * 24 * 3600, 60),
    adminEmail,
    adminPassword,
    signupEnabled: bool(env, 'APOGEE_SIGNUP', true),
    cookieSecure: bool(env, 'APOGEE_COOKIE_SECURE', publicUrl.startsWith('https:')),
    signinMaxFailures: int(env, 'APOGEE_SIGNIN_MAX_FAILURES', 5, 1),
    signinWindowSec: int(env, 'APOGEE_SIGNIN_WINDOW', 300, 1),
    storageDir: path.resolve(env.APOGEE_STORAGE_DIR || path.join(dataDir, 'storage')),
    maxArtifactBytes: int(env, 'APOGEE_MAX_ARTIFACT_BYTES', 5 * 1024 ** 4, 1),
    signedUrlTtlSec: int(env, 'APOGEE_SIGNED_URL_TTL', 3600, 10, 7 * 24 * 3600),
    multipartThresholdBytes: int(env, 'APOGEE_MULTIPART_THRESHOLD', 64 * 1024 ** 2, 0),
    partSizeBytes: int(env, 'APOGEE_PART_SIZE', 16 * 1024 ** 2, 5 * 1024 ** 2, 5 * 1024 ** 3),
    uploadExpiryHours: int(env, 'APOGEE_UPLOAD_EXPIRY_HOURS', 24, 1, 24 * 365),
    uploadSweepIntervalSec: int(env, 'APOGEE_UPLOAD_SWEEP_INTERVAL', 900, 0, 7 * 24 * 3600),
    logLevel,
    frontendDir: env.APOGEE_FRONTEND_DIR ? path.resolve(env.APOGEE_FRONTEND_DIR) : null,
    corsOrigins: (env.APOGEE_CORS_ORIGINS || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    webhooksAllowPrivate: bool(env, 'APOGEE_WEBHOOKS_ALLOW_PRIVATE', false),
    webhooksRetryBaseMs: int(env, 'APOGEE_WEBHOOKS_RETRY_BASE_MS', 10_000, 1, 3_600_000),
    webhooksMaxAttempts: int(env, 'APOGEE_WEBHOOKS_MAX_ATTEMPTS', 8, 1, 50),
    webhooksTimeoutMs: int(env, 'APOGEE_WEBHOOKS_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
