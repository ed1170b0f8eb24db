/** The satellite agent as a library: `new SatelliteAgent(readAgentConfig(process.env)).start()`. */
export { SatelliteAgent, chooseRuntime, AGENT_VERSION, type AgentDeps } from './agent.js';
export { readAgentConfig, advertisedBaseUrl, type AgentConfig } from './agent.config.js';
export {
  PlatformClient,
  PlatformError,
  PlatformUnreachable,
  isTransient,
} from './platform-client.js';
export { ArtifactCache } from './artifact-cache.js';
export { runAgentProcess } from './process.js';
