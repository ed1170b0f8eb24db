/**
 * The one permission matrix (after LUML's `schemas/permissions.py`, at least as strict).
 * The organization role decides first; inside an orbit, org owners and admins act as orbit
 * admins and everyone else gets what their orbit role grants.
 */
export type OrgRole = 'owner' | 'admin' | 'member';
export type OrbitRole = 'admin' | 'member';
export const ORG_ROLES: readonly OrgRole[] = ['owner', 'admin', 'member'];
export const ORBIT_ROLES: readonly OrbitRole[] = ['admin', 'member'];

export type Action = 'list' | 'read' | 'create' | 'update' | 'delete' | 'reveal' | 'deploy';

export type OrgResource =
  | 'organization'
  | 'organization_member'
  | 'organization_invite'
  | 'orbit'
  | 'storage_backend'
  | 'audit_event';
export type OrbitResource =
  | 'orbit'
  | 'orbit_member'
  | 'collection'
  | 'artifact'
  | 'orbit_secret'
  | 'satellite'
  | 'deployment'
  | 'track'
  | 'model'
  | 'webhook';
export type Resource = OrgResource | OrbitResource;

/** resource → allowed actions; what every organization or orbit read returns as `permissions`. */
export type PermissionMap = Partial<Record<Resource, Action[]>>;

const ALL: Action[] = ['list', 'read', 'create', 'update', 'delete'];
const READ: Action[] = ['list', 'read'];
const WRITE: Action[] = ['list', 'read', 'create', 'update'];

const ORG: Record<OrgRole, Partial<Record<OrgResource, Action[]>>> = {
  owner: {
    organization: ['read', 'update', 'delete'],
    organization_member: ALL,
    organization_invite: ALL,
    orbit: ALL,
    storage_backend: ALL,
    audit_event: READ,
  },
  admin: {
    organization: ['read', 'update'],
    organization_member: ALL,
    organization_invite: ALL,
    orbit: ['list', 'read', 'create', 'update'],
    storage_backend: ALL,
    audit_event: READ,
  },
  member: {
    organization: ['read'],
    organization_member: READ,
    orbit: READ,
    storage_backend: READ,
  },
};

const ORBIT: Record<OrbitRole, Partial<Record<OrbitResource, Action[]>>> = {
  admin: {
    orbit: ['read', 'update'],
    orbit_member: ALL,
    collection: ALL,
    artifact: ALL,
    orbit_secret: [...ALL, 'reveal'],
    satellite: ALL,
    deployment: [...ALL, 'deploy'],
    track: ALL,
    model: [...ALL, 'deploy'],
    webhook: ALL,
  },
  member: {
    orbit: ['read'],
    orbit_member: READ,
    collection: WRITE,
    artifact: WRITE,
    orbit_secret: ['list', 'create'],
    satellite: ['list', 'read', 'create'],
    deployment: [...WRITE, 'deploy'],
    track: WRITE,
    model: [...WRITE, 'deploy'],
    webhook: READ,
  },
};

export function orgPermissions(role: OrgRole): PermissionMap {
  return structuredClone(ORG[role]);
}

/** Org owners/admins act as orbit admins (the orbit must already be known to belong to the org). */
export function effectiveOrbitRole(
  orgRole: OrgRole,
  orbitRole: OrbitRole | null,
): OrbitRole | null {
  return orgRole === 'owner' || orgRole === 'admin' ? 'admin' : orbitRole;
}

export function orbitPermissions(orgRole: OrgRole, orbitRole: OrbitRole | null): PermissionMap {
  const effective = effectiveOrbitRole(orgRole, orbitRole);
  const perms: PermissionMap = effective ? structuredClone(ORBIT[effective]) : {};
  // Orbit deletion is an org-level right (owners only), not an orbit-admin one.
  if (ORG[orgRole].orbit?.includes('delete')) perms.orbit = [...(perms.orbit ?? []), 'delete'];
  return perms;
}

export function allows(perms: PermissionMap, resource: Resource, action: Action): boolean {
  return perms[resource]?.includes(action) ?? false;
}
