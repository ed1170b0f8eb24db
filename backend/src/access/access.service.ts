import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../common/auth/principal.js';
import { Forbidden, NotFound } from '../common/errors.js';
import {
  allows,
  orbitPermissions,
  orgPermissions,
  type Action,
  type OrbitRole,
  type OrgRole,
  type PermissionMap,
  type Resource,
} from './permissions.js';

export interface OrgAccess {
  organizationId: string;
  role: OrgRole;
  permissions: PermissionMap;
}

export interface OrbitAccess {
  organizationId: string;
  orbitId: string;
  orgRole: OrgRole;
  /** The caller's own orbit role; null for org owners/admins who are not listed in the orbit. */
  orbitRole: OrbitRole | null;
  permissions: PermissionMap;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The single place that decides whether a caller may touch an organization or orbit.
 * A caller who cannot see a tenant gets 404 (its existence is not revealed); one who can see it
 * but lacks the right gets 403.
 */
@Injectable()
export class AccessService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Resolves the caller's role in an organization, or throws 404. Optionally asserts a right. */
  async organization(
    ctx: RequestContext,
    organizationId: string,
    need?: [Resource, Action],
  ): Promise<OrgAccess> {
    const p = ctx.principal;
    if (p.kind !== 'user' || !UUID.test(organizationId))
      throw new NotFound('Organization', organizationId);
    if (p.apiKey?.organizationId && p.apiKey.organizationId !== organizationId)
      throw new NotFound('Organization', organizationId);
    const rows: { role: OrgRole }[] = await this.db.query(
      'SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2',
      [organizationId, p.userId],
    );
    if (!rows[0]) throw new NotFound('Organization', organizationId);
    const access: OrgAccess = {
      organizationId,
      role: rows[0].role,
      permissions: orgPermissions(rows[0].role),
    };
    // An orbit-scoped key may read its organization but act on nothing at org level.
    if (p.apiKey?.orbitId) access.permissions = { organization: ['read'], orbit: ['list', 'read'] };
    if (need) this.assert(access.permissions, ...need);
    return access;
  }

  /**
   * Resolves the caller's rights in an orbit of an organization. The orbit must belong to the
   * organization and the caller must be an org owner/admin or a member of the orbit; else 404.
   * Satellites reach only their own orbit.
   */
  async orbit(
    ctx: RequestContext,
    organizationId: string,
    orbitId: string,
    need?: [Resource, Action],
  ): Promise<OrbitAccess> {
    const p = ctx.principal;
    if (!UUID.test(organizationId)) throw new NotFound('Organization', organizationId);
    if (!UUID.test(orbitId)) throw new NotFound('Orbit', orbitId);
    if (p.kind === 'satellite') {
      if (p.organizationId !== organizationId || p.orbitId !== orbitId)
        throw new NotFound('Orbit', orbitId);
      const access: OrbitAccess = {
        organizationId,
        orbitId,
        orgRole: 'member',
        orbitRole: null,
        permissions: SATELLITE_PERMISSIONS,
      };
      if (need) this.assert(access.permissions, ...need);
      return access;
    }
    if (p.apiKey?.organizationId && p.apiKey.organizationId !== organizationId)
      throw new NotFound('Organization', organizationId);
    if (p.apiKey?.orbitId && p.apiKey.orbitId !== orbitId) throw new NotFound('Orbit', orbitId);
    const rows: { org_role: OrgRole; orbit_id: string | null; orbit_role: OrbitRole | null }[] =
      await this.db.query(
        `SELECT om.role AS org_role, ob.id AS orbit_id, obm.role AS orbit_role
         FROM organization_members om
         LEFT JOIN orbits ob ON ob.id = $3 AND ob.organization_id = om.organization_id
         LEFT JOIN orbit_members obm ON obm.orbit_id = ob.id AND obm.user_id = om.user_id
        WHERE om.organization_id = $1 AND om.user_id = $2`,
        [organizationId, p.userId, orbitId],
      );
    const row = rows[0];
    if (!row) throw new NotFound('Organization', organizationId);
    if (!row.orbit_id) throw new NotFound('Orbit', orbitId);
    const permissions = orbitPermissions(row.org_role, row.orbit_role);
    if (!permissions.orbit?.includes('read')) throw new NotFound('Orbit', orbitId);
    const access: OrbitAccess = {
      organizationId,
      orbitId,
      orgRole: row.org_role,
      orbitRole: row.orbit_role,
      permissions,
    };
    if (need) this.assert(access.permissions, ...need);
    return access;
  }

  assert(perms: PermissionMap, resource: Resource, action: Action): void {
    if (!allows(perms, resource, action)) {
      throw new Forbidden(`Your role does not allow ${action} on ${resource.replace(/_/g, ' ')}`);
    }
  }
}

/** What a satellite may do in its own orbit: read what it must serve, report on deployments. */
const SATELLITE_PERMISSIONS: PermissionMap = {
  orbit: ['read'],
  artifact: ['list', 'read'],
  orbit_secret: ['list', 'read', 'reveal'],
  deployment: ['list', 'read', 'update'],
  model: ['list', 'read', 'update'],
  satellite: ['read', 'update'],
};
