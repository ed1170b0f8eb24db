import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApp } from '../app.factory.js';
import { loadConfig, type AppConfig } from '../config/config.js';
import { createLogger } from '../common/observability.js';
import { BootstrapService } from '../users/bootstrap.service.js';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * `APOGEE_TEST_DATABASE_URL` (e.g. postgres://postgres@127.0.0.1:5432/postgres) runs the suite on
 * PostgreSQL, a fresh database per app; unset, each app gets its own PGlite directory.
 * `APOGEE_REQUIRE_POSTGRES=1` makes a missing URL a failure instead of a silent PGlite run.
 */
export const TEST_DATABASE_URL = process.env.APOGEE_TEST_DATABASE_URL || null;
if (process.env.APOGEE_REQUIRE_POSTGRES === '1' && !TEST_DATABASE_URL) {
  throw new Error('APOGEE_REQUIRE_POSTGRES=1 but APOGEE_TEST_DATABASE_URL is not set');
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  baseURL: string;
  admin: { email: string; password: string };
  /** Stops the app; with `keepData` the database and data dir survive for a restart. */
  close(opts?: { keepData?: boolean }): Promise<void>;
  /** Starts a new app on the same database and data dir (a restart). */
  restart(): Promise<TestApp>;
}

async function createDatabase(baseUrl: string): Promise<string> {
  const name = `apogee_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

export async function startTestApp(
  env: Record<string, string> = {},
  reuse?: { dataDir: string; databaseUrl: string | null; secretKey: string },
): Promise<TestApp> {
  const dataDir = reuse?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-test-'));
  const databaseUrl = reuse
    ? reuse.databaseUrl
    : TEST_DATABASE_URL
      ? await createDatabase(TEST_DATABASE_URL)
      : null;
  const secretKey = reuse?.secretKey ?? randomBytes(32).toString('hex');
  const adminPassword = 'admin-password-1';
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    APOGEE_DATA_DIR: dataDir,
    APOGEE_SECRET_KEY: secretKey,
    APOGEE_ADMIN_EMAIL: 'admin@apogee.test',
    APOGEE_ADMIN_PASSWORD: adminPassword,
    LOG_LEVEL: process.env.APOGEE_TEST_LOG_LEVEL ?? 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const { app } = await createApp(config, { logger: createLogger(config.logLevel) });
  await app.get(BootstrapService).ensureAdmin();
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const baseURL = `http://127.0.0.1:${port}`;
  // Signed URLs must point at the port the OS picked.
  config.publicUrl = baseURL;
  const t: TestApp = {
    app,
    config,
    baseURL,
    admin: { email: 'admin@apogee.test', password: adminPassword },
    async close(opts) {
      await app.close();
      if (!opts?.keepData) {
        if (databaseUrl) await dropDatabase(databaseUrl);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    async restart() {
      await app.close();
      return startTestApp(env, { dataDir, databaseUrl, secretKey });
    },
  };
  return t;
}
