import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { errnoCode } from '../common/errors.js';

const run = promisify(execFile);

/** The satellite package directory (this file is `src/testing/build.ts` or `dist/testing/build.js`). */
export const SATELLITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built model server entry that runtimes start. */
export const MODEL_SERVER_ENTRY = path.join(SATELLITE_DIR, 'dist', 'model-server', 'main.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(full)).mtimeMs);
  }
  return newest;
}

/**
 * Builds `satellite/dist` when a source file is newer than the last build, so that specs which
 * start the model server as a process run the current code. Test files running in parallel
 * serialize on a lock directory.
 */
export async function ensureSatelliteBuilt(): Promise<void> {
  const stamp = path.join(SATELLITE_DIR, 'dist', '.build-stamp');
  const lock = path.join(SATELLITE_DIR, '.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      if (await holderIsGone(lock)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for ${lock}; remove it if no build runs`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const built = await stat(stamp).then(
      (s) => s.mtimeMs,
      (e: unknown) => {
        if (errnoCode(e) === 'ENOENT') return 0;
        throw e;
      },
    );
    if (built >= (await newestMtime(path.join(SATELLITE_DIR, 'src')))) return;
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', path.join(SATELLITE_DIR, 'tsconfig.build.json')], {
      cwd: SATELLITE_DIR,
    });
    await writeFile(stamp, new Date().toISOString());
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** True when the process that took the build lock no longer runs (it was killed mid-build). */
async function holderIsGone(lock: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(await readFile(path.join(lock, 'pid'), 'utf8'));
  } catch (e) {
    // The holder may be between mkdir and writing its pid: not gone.
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return true;
    throw e;
  }
}
