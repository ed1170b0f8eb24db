#!/usr/bin/env node
/**
 * `node satellite/dist/model-server/main.js --model FILE --format onnx|gguf --port P`
 *
 * Serves one model over HTTP until SIGTERM/SIGINT (a second signal exits at once). Exits 1 when
 * the configuration is invalid or the model fails to load, 2 on bad usage.
 */
import { ConfigError, ensureError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { readModelServerConfig } from '../config/model-server.config.js';
import { startModelServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = readModelServerConfig(process.env, process.argv.slice(2));
  } catch (e) {
    const error = ensureError(e);
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`model-server: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const log = createLogger({ level: config.logLevel });
  const server = await startModelServer(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('error while stopping', { err: ensureError(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.ready;
  } catch (e) {
    log.error('exiting: the model could not be loaded', { err: ensureError(e) });
    await server.close();
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  const error = ensureError(e);
  process.stderr.write(`model-server: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
