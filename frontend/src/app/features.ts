import { apiKeysFeature } from '@/features/api-keys';
import { artifactsFeature } from '@/features/artifacts';
import { auditFeature } from '@/features/audit';
import { authFeature } from '@/features/auth';
import { collectionsFeature } from '@/features/collections';
import { invitationsFeature } from '@/features/invitations';
import { orbitsFeature } from '@/features/orbits';
import { organizationsFeature } from '@/features/organizations';
import { secretsFeature } from '@/features/secrets';
import { satellitesFeature } from '@/features/satellites';
import { deploymentsFeature } from '@/features/deployments';
import { modelsFeature } from '@/features/models';
import { storageFeature } from '@/features/storage';
import { tracksFeature } from '@/features/tracks';
import type { FeatureModule } from './registry';

/**
 * Every feature of the dashboard. To add one (satellites, deployments, models, tracks), write
 * `features/<name>/index.ts` exporting a `FeatureModule` and append it here: its routes join
 * the router and its nav items the sidebar, ordered by `order`.
 */
export const features: FeatureModule[] = [
  authFeature,
  invitationsFeature,
  organizationsFeature,
  orbitsFeature,
  artifactsFeature,
  collectionsFeature,
  secretsFeature,
  apiKeysFeature,
  auditFeature,
  satellitesFeature,
  deploymentsFeature,
  modelsFeature,
  storageFeature,
  tracksFeature,
];
