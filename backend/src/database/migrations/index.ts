import { Core1764100000000 } from './1764100000000-core.js';
import { Registry1764200000000 } from './1764200000000-registry.js';
import { Models1764600000000 } from './1764600000000-models.js';
import { Satellites1764300000000 } from './1764300000000-satellites.js';
import { Tracks1764500000000 } from './1764500000000-tracks.js';
import { Webhooks1764510000000 } from './1764510000000-webhooks.js';
import { StorageUploads1764520000000 } from './1764520000000-storage-uploads.js';
import { DeploymentAdapters1764700000000 } from './1764700000000-deployment-adapters.js';
import { DeploymentsFollowAlias1764800000000 } from './1764800000000-deployments-follow-alias.js';

/** Every migration, oldest first. Each feature appends its own; they run at boot on PGlite and PostgreSQL alike. */
export const MIGRATIONS = [
  Core1764100000000,
  Registry1764200000000,
  Satellites1764300000000,
  Tracks1764500000000,
  Webhooks1764510000000,
  StorageUploads1764520000000,
  Models1764600000000,
  DeploymentAdapters1764700000000,
  DeploymentsFollowAlias1764800000000,
];
