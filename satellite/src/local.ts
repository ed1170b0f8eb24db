#!/usr/bin/env node
/**
 * The local satellite `npm start` runs beside the API: it waits for the API, reads the key the
 * API's bootstrap wrote to `{APOGEE_DATA_DIR}/local-satellite.key` (satellite `local` in the
 * default orbit of the admin's Default organization), then runs the agent — Docker when an
 * engine answers and has the model-server image, else the process runtime.
 *
 * Defaults on top of the agent's: `APOGEE_URL` = `http://127.0.0.1:{PORT or 8080}`, gateway on
 * 127.0.0.1 port `{PORT + 1}`, state under `{APOGEE_DATA_DIR}/satellite`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureError } from './common/errors.js';
import { readAgentConfig } from './agent/agent.config.js';
import { sleep } from './agent/backoff.js';
import { exitOnConfigError, runAgentProcess } from './agent/process.js';

const KEY_FILE = 'local-satellite.key';
const WAIT_LOG_EVERY_MS = 10_000;

async function main(): Promise<void> {
  const env = { ...process.env };
  const dataDir = path.resolve(env.APOGEE_DATA_DIR || '.apogee');
  const apiPort = Number(env.PORT || 8080);
  env.APOGEE_URL ||= `http://127.0.0.1:${apiPort}`;
  env.APOGEE_SATELLITE_HOST ||= '127.0.0.1';
  env.APOGEE_SATELLITE_PORT ||= String(apiPort + 1);
  env.APOGEE_SATELLITE_DATA_DIR ||= path.join(dataDir, 'satellite');
  const keyFile = path.join(dataDir, KEY_FILE);
  // The API creates the key on its first start; wait for it and for the API to answer.
  let lastLog = 0;
  for (;;) {
    const key = await readFile(keyFile, 'utf8').then(
      (k) => k.trim(),
      () => null,
    );
    const up = await fetch(`${env.APOGEE_URL}/healthz`, {
      signal: AbortSignal.timeout(2_000),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (key && up) {
      env.APOGEE_SATELLITE_KEY ||= key;
      break;
    }
    if (Date.now() - lastLog > WAIT_LOG_EVERY_MS) {
      lastLog = Date.now();
      process.stdout.write(
        `local satellite: waiting for the API at ${env.APOGEE_URL}${key ? '' : ` and ${keyFile}`}\n`,
      );
    }
    await sleep(500);
  }
  await runAgentProcess(readAgentConfig(env));
}

main().catch((e: unknown) => exitOnConfigError(ensureError(e), 'local satellite'));
