import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const SCREENSHOTS = path.join(ROOT, '.e2e-artifacts', 'screenshots');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary to drive (`APOGEE_CHROMIUM` when set, else Debian's), or null. */
export function findChromium(): string | null {
  const chosen = process.env.APOGEE_CHROMIUM;
  if (chosen) return fs.existsSync(chosen) ? chosen : null;
  return CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

/** Flags that keep Chromium quiet and offline in CI containers. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Builds what the app serves (`APOGEE_E2E_NO_BUILD=1` skips it): the SDK when it has no build yet,
 * the backend, and the dashboard.
 */
export function buildApp(): void {
  if (process.env.APOGEE_E2E_NO_BUILD) return;
  if (!fs.existsSync(path.join(ROOT, 'sdk', 'dist', 'esm', 'index.js')))
    run('npm', ['run', 'build', '-w', 'sdk']);
  run('npm', ['run', 'build', '-w', 'backend']);
  run('npm', ['run', 'build:only', '-w', 'frontend']);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface RunningApp {
  baseURL: string;
  /** The API's data directory (the local satellite's key is written there). */
  dataDir: string;
  adminEmail: string;
  adminPassword: string;
  stop(): Promise<void>;
}

/** Starts `node backend/dist/main.js` on a free port with a fresh data directory. */
export async function startApp(): Promise<RunningApp> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-e2e-'));
  const adminEmail = 'admin@e2e.test';
  const adminPassword = 'e2e-admin-pass';
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'backend', 'dist', 'main.js')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        APOGEE_DATA_DIR: dataDir,
        APOGEE_ADMIN_EMAIL: adminEmail,
        APOGEE_ADMIN_PASSWORD: adminPassword,
        APOGEE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        APOGEE_FRONTEND_DIR: path.join(ROOT, 'frontend', 'dist'),
        APOGEE_ACCESS_TOKEN_TTL: '15',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`backend exited with ${child.exitCode}:\n${output}`);
    try {
      const r = await fetch(`${baseURL}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`backend did not become healthy in 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseURL,
    dataDir,
    adminEmail,
    adminPassword,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh browser profile (its own user-data-dir, so its own cookies). */
export async function newBrowser(
  executablePath: string,
  baseURL: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
