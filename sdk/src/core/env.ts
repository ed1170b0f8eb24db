/**
 * The one place the SDK reads the environment. In a browser there is no `process`, so every
 * variable reads as unset.
 */
export function readEnv(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name]?.trim();
  return v ? v : undefined;
}

/** True when running under Node.js (file paths and the home directory exist). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}
