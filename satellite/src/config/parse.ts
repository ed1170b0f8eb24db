import { ConfigError } from '../common/errors.js';

/** Raw variables, as found in `process.env` or built from CLI flags. */
export type RawEnv = Readonly<Record<string, string | undefined>>;

/** Reads an optional string variable; empty counts as unset. */
export function str(env: RawEnv, name: string, fallback: string): string;
export function str(env: RawEnv, name: string): string | undefined;
export function str(env: RawEnv, name: string, fallback?: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

/** Reads an integer variable within `[min, max]`. */
export function int(
  env: RawEnv,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(name, `expected an integer between ${min} and ${max}, got "${raw}"`);
  }
  return v;
}

/** Reads a number variable within `[min, max]`. */
export function num(
  env: RawEnv,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_VALUE,
): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(name, `expected a number between ${min} and ${max}, got "${raw}"`);
  }
  return v;
}

/** Reads one of a fixed set of values. */
export function oneOf<T extends string>(
  env: RawEnv,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** Reads a boolean (`true/false/1/0/yes/no`). */
export function bool(env: RawEnv, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}
