import { ConfigError, ensureError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { SatelliteAgent } from './agent.js';
import type { AgentConfig } from './agent.config.js';

/**
 * Runs the agent as this process's main job: the first SIGTERM/SIGINT drains (running tasks may
 * finish within `APOGEE_DRAIN_TIMEOUT`), a second one aborts them and exits at once.
 */
export async function runAgentProcess(config: AgentConfig): Promise<SatelliteAgent> {
  const log = createLogger({ level: config.logLevel, base: { component: 'satellite' } });
  const agent = new SatelliteAgent(config, { log });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info('draining: no new tasks; running ones may finish (send the signal again to force)', {
        signal,
      });
      agent.stop().then(
        () => process.exit(0),
        (e: unknown) => {
          log.error('error while stopping', { err: ensureError(e) });
          process.exit(1);
        },
      );
    } else {
      log.warn('second signal: aborting running tasks', { signal });
      void agent.stop({ force: true });
      setTimeout(() => process.exit(1), 2_000).unref();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await agent.start();
  return agent;
}

/** Prints a configuration error the way every entry point does, and exits 2. */
export function exitOnConfigError(e: unknown, prog: string): never {
  const err = ensureError(e);
  if (err instanceof ConfigError) {
    process.stderr.write(`${prog}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${prog}: ${err.stack ?? err.message}\n`);
  process.exit(1);
}
