// Starts the BUILT API (backend/dist) on a fresh PostgreSQL database for a benchmark, with a JSON
// `call` helper and a `close` that drops everything it created.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** `APOGEE_BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres): a fresh database is created in it. */
export async function startBenchApi(env = {}) {
  const baseDbUrl =
    process.env.APOGEE_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const dist = new URL('../backend/dist/', import.meta.url);
  const { createApp } = await import(new URL('app.factory.js', dist));
  const { loadConfig } = await import(new URL('config/config.js', dist));

  const dbName = `apogee_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseDbUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(baseDbUrl);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  console.log(`database: PostgreSQL ${server} at ${u.host}, fresh database ${dbName}`);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-bench-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    APOGEE_DATA_DIR: dataDir,
    APOGEE_SECRET_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: dbUrl,
    LOG_LEVEL: 'silent',
    APOGEE_ADMIN_PASSWORD: 'bench-admin-1',
    ...env,
  });
  const { app } = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const baseURL = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  config.publicUrl = baseURL;

  async function call(method, p, token, body) {
    const res = await fetch(baseURL + p, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function close() {
    await app.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  return { baseURL, dbUrl, call, close };
}
