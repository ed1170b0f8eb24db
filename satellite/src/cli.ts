#!/usr/bin/env node
/**
 * `apogee-satellite`: runs a satellite on this host.
 *
 *   APOGEE_URL=https://apogee.example.com APOGEE_SATELLITE_KEY=sat_… apogee-satellite
 *
 * Everything else has a default (see `agent/agent.config.ts`). Exits 2 on a configuration error.
 */
import { readAgentConfig } from './agent/agent.config.js';
import { exitOnConfigError, runAgentProcess } from './agent/process.js';

const USAGE = `usage: APOGEE_URL=<api url> APOGEE_SATELLITE_KEY=sat_… apogee-satellite

Optional: APOGEE_SATELLITE_RUNTIME (auto|docker|process), APOGEE_SATELLITE_CONCURRENCY (2),
APOGEE_SATELLITE_PORT (8090), APOGEE_SATELLITE_BASE_URL, APOGEE_SATELLITE_DATA_DIR
(./.apogee/satellite), APOGEE_MODEL_SERVER_IMAGE, DOCKER_HOST, APOGEE_HEARTBEAT_INTERVAL (ms),
APOGEE_TASK_LEASE (ms), APOGEE_TASK_TIMEOUT (ms), APOGEE_HEALTH_TIMEOUT (ms), APOGEE_DRAIN_TIMEOUT (ms).
`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}

try {
  await runAgentProcess(readAgentConfig(process.env));
} catch (e) {
  exitOnConfigError(e, 'apogee-satellite');
}
