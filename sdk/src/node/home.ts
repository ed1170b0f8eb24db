import { homedir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../core/env.js';

/** The SDK's home directory: `$APOGEE_HOME`, else `~/.apogee`. */
export function apogeeHome(): string {
  return readEnv('APOGEE_HOME') ?? join(homedir(), '.apogee');
}
