import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../common/auth/principal.js';
import { NotFound, ValidationFailed } from '../common/errors.js';

export interface Scope {
  orgId: string;
  orbitId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The organization and orbit of an OpenAI-style call: from the API key's scope, else the
 * `OpenAI-Organization` / `OpenAI-Project` headers, else the caller's only orbit. A header that
 * contradicts the key's scope is a 404 (the key cannot reach it). Access itself is checked by the
 * service with the resolved ids.
 */
@Injectable()
export class OpenAiScope {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Orbit → organization; an orbit never changes organization, so the answer is kept. */
  private readonly orgs = new Map<string, string>();

  private async orgOf(orbitId: string): Promise<string | undefined> {
    const hit = this.orgs.get(orbitId);
    if (hit) return hit;
    const rows: { organization_id: string }[] = await this.db.query(
      'SELECT organization_id FROM orbits WHERE id = $1',
      [orbitId],
    );
    const org = rows[0]?.organization_id;
    if (org) {
      if (this.orgs.size > 10_000) this.orgs.clear();
      this.orgs.set(orbitId, org);
    }
    return org;
  }

  async resolve(ctx: RequestContext, req: Request): Promise<Scope> {
    const p = ctx.principal;
    if (p.kind !== 'user') throw new NotFound('Organization');
    const hOrg = header(req, 'openai-organization');
    const hOrbit = header(req, 'openai-project');
    for (const [name, v] of [
      ['OpenAI-Organization', hOrg],
      ['OpenAI-Project', hOrbit],
    ] as const) {
      if (v && !UUID.test(v))
        throw new ValidationFailed(`${name} must be an id`, [
          { field: name, problems: ['must be a UUID'] },
        ]);
    }
    const keyOrg = p.apiKey?.organizationId ?? null;
    const keyOrbit = p.apiKey?.orbitId ?? null;
    if (keyOrg && hOrg && hOrg !== keyOrg) throw new NotFound('Organization', hOrg);
    if (keyOrbit && hOrbit && hOrbit !== keyOrbit) throw new NotFound('Orbit', hOrbit);
    const orbitId = keyOrbit ?? hOrbit;
    if (orbitId) {
      const orgId = await this.orgOf(orbitId);
      if (!orgId || (keyOrg && orgId !== keyOrg) || (hOrg && orgId !== hOrg))
        throw new NotFound('Orbit', orbitId);
      return { orgId, orbitId };
    }
    // No orbit named: the caller's only orbit in the organization (or in all their organizations).
    const orgId = keyOrg ?? hOrg;
    const rows: { org: string; orbit: string }[] = await this.db.query(
      `SELECT ob.organization_id AS org, ob.id AS orbit
         FROM orbits ob JOIN organization_members om ON om.organization_id = ob.organization_id AND om.user_id = $1
        WHERE ($2::uuid IS NULL OR ob.organization_id = $2)
          AND (om.role IN ('owner', 'admin') OR EXISTS (SELECT 1 FROM orbit_members x WHERE x.orbit_id = ob.id AND x.user_id = $1))
        LIMIT 2`,
      [p.userId, orgId],
    );
    if (rows.length === 1) return { orgId: rows[0]!.org, orbitId: rows[0]!.orbit };
    if (!rows.length) throw new NotFound('Orbit');
    throw new ValidationFailed(
      'Several orbits are reachable: name one with the OpenAI-Project header or use an orbit-scoped API key',
      [{ field: 'OpenAI-Project', problems: ['required when the key reaches several orbits'] }],
    );
  }
}

function header(req: Request, name: string): string | null {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s?.trim() || null;
}
