import type {
  Collection,
  Invitation,
  Orbit,
  Organization,
  OrganizationRole,
  OrbitRole,
} from '@apogee/sdk';
import type { PermissionMap } from './permissions';

/**
 * The API's reads carry more than the SDK's types declare so far (see sdk/openapi.json):
 * the caller's role, `permissions` and counts. These widen the SDK types with those fields.
 */
export type OrganizationView = Organization & {
  role: OrganizationRole;
  permissions: PermissionMap;
  membersCount?: number;
  orbitsCount?: number;
};

export type OrbitView = Orbit & {
  role: OrbitRole | null;
  permissions: PermissionMap;
  membersCount?: number;
  collectionsCount?: number;
  artifactsCount?: number;
};

export type InvitationView = Invitation & {
  organizationName?: string;
  invitedBy?: string | null;
  /** Link to send to the invitee (on the organization's list and the create answer). */
  link?: string;
};

export type CollectionView = Collection & { artifactsCount?: number; permissions?: PermissionMap };
