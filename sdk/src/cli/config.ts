import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `~/.apogee/config.json` holds. Written with mode 600: it contains an API key. */
export interface CliConfig {
  /** API base URL. */
  baseURL?: string;
  /** API key (`apg_…`). */
  apiKey?: string;
  /** Default organization (id or name), set by `apogee use --org`. */
  org?: string;
  /** Default orbit (id or name), set by `apogee use --orbit`. */
  orbit?: string;
  /** Default collection (id or name), set by `apogee use --collection`. */
  collection?: string;
}

/** Reads the config file; a missing file is an empty config. */
export async function loadConfig(home: string): Promise<CliConfig> {
  try {
    return JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as CliConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`Cannot read ${join(home, 'config.json')}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Writes the config file atomically, readable by its owner only. */
export async function saveConfig(home: string, config: CliConfig): Promise<string> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'config.json');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}
