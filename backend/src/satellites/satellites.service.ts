import fs from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import {
  systemContext,
  type RequestContext,
  type SatellitePrincipal,
} from '../common/auth/principal.js';
import { TokenResolvers } from '../common/auth/token-resolvers.js';
import { deriveKey, generateToken, hashToken } from '../common/crypto.js';
import { Conflict, NotFound, isUniqueViolation } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type {
  SatelliteCapabilitiesDto,
  SatelliteCreateDto,
  SatelliteCreatedDto,
  SatellitePairDto,
  SatelliteResponseDto,
  SatelliteStatus,
  SatelliteUpdateDto,
} from './dto/satellite.dto.js';

export const SATELLITE_KEY_PREFIX = 'sat_';
/** File in the data dir holding the key of the local satellite that `npm start` runs. */
export const LOCAL_SATELLITE_KEY_FILE = 'local-satellite.key';
export const LOCAL_SATELLITE_NAME = 'local';
/** A satellite heard from within this long is `active`, ms. */
export const ACTIVE_WITHIN_MS = 30_000;
/** …within this long `stale`; older (or never) `offline`, ms. */
export const STALE_WITHIN_MS = 5 * 60_000;
/** Any authenticated call counts as a sign of life, recorded at most this often, ms. */
const SEEN_RESOLUTION_MS = 5_000;

interface SatelliteRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  name: string;
  description: string;
  key_prefix: string;
  paired: boolean;
  paired_at: Date | null;
  capabilities: Partial<SatelliteCapabilitiesDto>;
  base_url: string | null;
  version: string | null;
  last_heartbeat_at: Date | null;
  created_at: Date;
  deployments_count: number;
}

/** A satellite that can take a deployment (see {@link SatellitesService.pick}). */
export interface PlacedSatellite {
  id: string;
  name: string;
  runtimes: string[];
  baseUrl: string | null;
}

export class SatelliteNotFound extends NotFound {
  constructor(id: string) {
    super('Satellite', id);
  }
}

export function satelliteStatus(lastHeartbeatAt: Date | null, now = Date.now()): SatelliteStatus {
  if (!lastHeartbeatAt) return 'offline';
  const age = now - lastHeartbeatAt.getTime();
  return age < ACTIVE_WITHIN_MS ? 'active' : age < STALE_WITHIN_MS ? 'stale' : 'offline';
}

const SELECT = `
  SELECT s.id, s.organization_id, s.orbit_id, s.name, s.description, s.key_prefix, s.paired, s.paired_at, s.capabilities,
         s.base_url, s.version, s.last_heartbeat_at, s.created_at,
         (SELECT count(*)::int FROM deployments d WHERE d.satellite_id = s.id) AS deployments_count
    FROM satellites s`;

/**
 * Satellites of an orbit: created by users (the `sat_` key is shown once and stored as a keyed
 * hash), paired by the agent with its capabilities, alive while it heartbeats.
 */
@Injectable()
export class SatellitesService implements OnModuleInit {
  private readonly key: Buffer;
  private readonly lastSeen = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly resolvers: TokenResolvers,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {
    this.key = deriveKey(config.secretKey, 'satellite-keys');
  }

  onModuleInit(): void {
    this.resolvers.register({ prefix: SATELLITE_KEY_PREFIX, resolve: (t) => this.authenticate(t) });
  }

  async authenticate(token: string): Promise<SatellitePrincipal | null> {
    const rows: { id: string; organization_id: string; orbit_id: string }[] = await this.db.query(
      'SELECT id, organization_id, orbit_id FROM satellites WHERE key_hash = $1',
      [hashToken(token, this.key)],
    );
    const s = rows[0];
    if (!s) return null;
    const seen = this.lastSeen.get(s.id) ?? 0;
    if (Date.now() - seen > SEEN_RESOLUTION_MS) {
      this.lastSeen.set(s.id, Date.now());
      await this.db.query('UPDATE satellites SET last_heartbeat_at = now() WHERE id = $1', [s.id]);
    }
    return {
      kind: 'satellite',
      satelliteId: s.id,
      organizationId: s.organization_id,
      orbitId: s.orbit_id,
    };
  }

  /**
   * Makes sure `{dataDir}/local-satellite.key` holds a working key of the satellite `local` in the
   * default orbit of the bootstrap admin's Default organization (created, or its key regenerated
   * when the file is missing or stale). Does nothing before the admin exists.
   */
  async ensureLocal(dataDir: string, adminEmail: string): Promise<void> {
    const file = path.join(dataDir, LOCAL_SATELLITE_KEY_FILE);
    const current = await fs.readFile(file, 'utf8').then(
      (k) => k.trim(),
      () => null,
    );
    if (current) {
      const rows: unknown[] = await this.db.query('SELECT 1 FROM satellites WHERE key_hash = $1', [
        hashToken(current, this.key),
      ]);
      if (rows.length) return;
    }
    const orbits: { organization_id: string; id: string }[] = await this.db.query(
      `SELECT ob.organization_id, ob.id FROM orbits ob
         JOIN organizations o ON o.id = ob.organization_id
         JOIN organization_members om ON om.organization_id = o.id AND om.role = 'owner'
         JOIN users u ON u.id = om.user_id
        WHERE lower(u.email) = lower($1) AND o.name = 'Default' AND ob.name = 'default'
        ORDER BY o.created_at LIMIT 1`,
      [adminEmail],
    );
    const orbit = orbits[0];
    if (!orbit) return;
    const ctx = systemContext('bootstrap');
    const key = await this.db.transaction(async (m) => {
      const existing: { id: string }[] = await m.query(
        'SELECT id FROM satellites WHERE orbit_id = $1 AND name = $2',
        [orbit.id, LOCAL_SATELLITE_NAME],
      );
      if (!existing[0])
        return (
          await this.insert(ctx, m, orbit.organization_id, orbit.id, {
            name: LOCAL_SATELLITE_NAME,
            description: 'The satellite npm start runs on this machine',
          })
        ).key;
      const k = generateToken(SATELLITE_KEY_PREFIX);
      await m.query(
        'UPDATE satellites SET key_hash = $2, key_prefix = $3, updated_at = now() WHERE id = $1',
        [existing[0].id, hashToken(k, this.key), k.slice(0, 8)],
      );
      await this.audit.record(
        ctx,
        {
          action: 'satellite.key_regenerate',
          resourceType: 'satellite',
          resourceId: existing[0].id,
          organizationId: orbit.organization_id,
          orbitId: orbit.id,
        },
        m,
      );
      return k;
    });
    await fs.mkdir(dataDir, { recursive: true });
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, `${key}\n`, { mode: 0o600 });
    await fs.rename(tmp, file);
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: SatelliteCreateDto,
  ): Promise<SatelliteCreatedDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'create']);
    const { id, key } = await this.db.transaction((m) => this.insert(ctx, m, orgId, orbitId, dto));
    return { ...(await this.one(orbitId, id)), key };
  }

  /** Inserts a satellite and returns its key (bootstrap uses this for the local satellite). */
  async insert(
    ctx: RequestContext,
    m: EntityManager,
    orgId: string,
    orbitId: string,
    dto: SatelliteCreateDto,
  ): Promise<{ id: string; key: string }> {
    const key = generateToken(SATELLITE_KEY_PREFIX);
    const createdBy =
      ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
        ? ctx.principal.userId
        : null;
    try {
      const rows: { id: string }[] = await m.query(
        `INSERT INTO satellites (organization_id, orbit_id, name, description, key_prefix, key_hash, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          orgId,
          orbitId,
          dto.name.trim(),
          dto.description ?? '',
          key.slice(0, 8),
          hashToken(key, this.key),
          createdBy,
        ],
      );
      const id = rows[0]!.id;
      await this.audit.record(
        ctx,
        {
          action: 'satellite.create',
          resourceType: 'satellite',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { name: dto.name },
        },
        m,
      );
      return { id, key };
    } catch (e) {
      if (isUniqueViolation(e))
        throw new Conflict(
          'satellite_name_taken',
          `A satellite named "${dto.name}" already exists in this orbit`,
        );
      throw e;
    }
  }

  async list(ctx: RequestContext, orgId: string, orbitId: string): Promise<SatelliteResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'list']);
    const rows: SatelliteRow[] = await this.db.query(
      `${SELECT} WHERE s.orbit_id = $1 ORDER BY s.name, s.id`,
      [orbitId],
    );
    return rows.map(toResponse);
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<SatelliteResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'read']);
    return this.one(orbitId, id);
  }

  /** The calling satellite's own record. */
  async self(sat: SatellitePrincipal): Promise<SatelliteResponseDto> {
    return this.one(sat.orbitId, sat.satelliteId);
  }

  private async one(orbitId: string, id: string): Promise<SatelliteResponseDto> {
    const rows: SatelliteRow[] = await this.db.query(
      `${SELECT} WHERE s.orbit_id = $1 AND s.id = $2`,
      [orbitId, id],
    );
    if (!rows[0]) throw new SatelliteNotFound(id);
    return toResponse(rows[0]);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: SatelliteUpdateDto,
  ): Promise<SatelliteResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'update']);
    await this.db.transaction(async (m) => {
      try {
        const r: [unknown[], number] = await m.query(
          `UPDATE satellites SET name = COALESCE($3, name), description = COALESCE($4, description), updated_at = now()
            WHERE orbit_id = $1 AND id = $2 RETURNING id`,
          [orbitId, id, dto.name?.trim() ?? null, dto.description ?? null],
        );
        if (!r[1]) throw new SatelliteNotFound(id);
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'satellite_name_taken',
            `A satellite named "${dto.name}" already exists in this orbit`,
          );
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'satellite.update',
          resourceType: 'satellite',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { ...dto },
        },
        m,
      );
    });
    return this.one(orbitId, id);
  }

  /** Issues a new key; the old one stops working at once. The satellite must be restarted with the new key. */
  async regenerateKey(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<SatelliteCreatedDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'update']);
    const key = generateToken(SATELLITE_KEY_PREFIX);
    await this.db.transaction(async (m) => {
      const r: [unknown[], number] = await m.query(
        'UPDATE satellites SET key_hash = $3, key_prefix = $4, updated_at = now() WHERE orbit_id = $1 AND id = $2 RETURNING id',
        [orbitId, id, hashToken(key, this.key), key.slice(0, 8)],
      );
      if (!r[1]) throw new SatelliteNotFound(id);
      await this.audit.record(
        ctx,
        {
          action: 'satellite.key_regenerate',
          resourceType: 'satellite',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
    return { ...(await this.one(orbitId, id)), key };
  }

  /** Deletes a satellite; refused (409) while deployments are placed on it. */
  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['satellite', 'delete']);
    await this.db.transaction(async (m) => {
      const rows: { id: string; deployments: number }[] = await m.query(
        `SELECT s.id, (SELECT count(*)::int FROM deployments d WHERE d.satellite_id = s.id) AS deployments
           FROM satellites s WHERE s.orbit_id = $1 AND s.id = $2 FOR UPDATE`,
        [orbitId, id],
      );
      if (!rows[0]) throw new SatelliteNotFound(id);
      if (rows[0].deployments > 0) {
        throw new Conflict(
          'satellite_in_use',
          `${rows[0].deployments} deployment(s) use this satellite; delete them first`,
          { deployments: rows[0].deployments },
        );
      }
      await this.audit.record(
        ctx,
        {
          action: 'satellite.delete',
          resourceType: 'satellite',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
      await m.query('DELETE FROM satellites WHERE id = $1', [id]);
    });
  }

  /** The agent announces itself: capabilities, inference base URL, version. */
  async pair(
    ctx: RequestContext,
    sat: SatellitePrincipal,
    dto: SatellitePairDto,
  ): Promise<SatelliteResponseDto> {
    await this.db.transaction(async (m) => {
      const rows: { paired: boolean; base_url: string | null }[] = await m.query(
        'SELECT paired, base_url FROM satellites WHERE id = $1 FOR UPDATE',
        [sat.satelliteId],
      );
      const oldBase = rows[0]?.base_url;
      const newBase = dto.baseUrl.replace(/\/+$/, '');
      if (oldBase && oldBase !== newBase) {
        // The satellite moved (new port or address): its deployments are served at the new base.
        await m.query(
          `UPDATE deployments SET inference_url = $3 || substr(inference_url, length($2) + 1), updated_at = now()
            WHERE satellite_id = $1 AND starts_with(inference_url, $2)`,
          [sat.satelliteId, oldBase, newBase],
        );
      }
      await m.query(
        `UPDATE satellites SET paired = true, paired_at = COALESCE(paired_at, now()), capabilities = $2, base_url = $3, version = $4,
                last_heartbeat_at = now(), updated_at = now() WHERE id = $1`,
        [sat.satelliteId, dto.capabilities, dto.baseUrl.replace(/\/+$/, ''), dto.version],
      );
      if (!rows[0]?.paired) {
        await this.audit.record(
          ctx,
          {
            action: 'satellite.pair',
            resourceType: 'satellite',
            resourceId: sat.satelliteId,
            orbitId: sat.orbitId,
            details: { baseUrl: dto.baseUrl, version: dto.version },
          },
          m,
        );
      }
    });
    return this.self(sat);
  }

  /** Records a heartbeat. */
  async touch(m: EntityManager, sat: SatellitePrincipal): Promise<void> {
    this.lastSeen.set(sat.satelliteId, Date.now());
    await m.query('UPDATE satellites SET last_heartbeat_at = now() WHERE id = $1', [
      sat.satelliteId,
    ]);
  }

  /**
   * Chooses where a deployment of `format` runs: the requested satellite (which must be in the
   * orbit, paired and able to serve the format), else the active satellite of the orbit with free
   * task slots and the fewest live deployments. Throws 409 when none fits.
   */
  async pick(
    m: EntityManager,
    orbitId: string,
    format: string,
    requested?: string,
  ): Promise<PlacedSatellite> {
    const rows: (SatelliteRow & { live: number; in_flight: number })[] = await m.query(
      `SELECT s.id, s.name, s.paired, s.capabilities, s.base_url, s.last_heartbeat_at,
              (SELECT count(*)::int FROM deployments d WHERE d.satellite_id = s.id AND d.status IN ('pending', 'deploying', 'active', 'not_responding')) AS live,
              (SELECT count(*)::int FROM tasks t WHERE t.satellite_id = s.id AND t.status IN ('pending', 'claimed', 'running')) AS in_flight
         FROM satellites s WHERE s.orbit_id = $1 AND ($2::uuid IS NULL OR s.id = $2) ORDER BY s.created_at`,
      [orbitId, requested ?? null],
    );
    if (requested && !rows[0]) throw new SatelliteNotFound(requested);
    const serves = (r: SatelliteRow) => r.paired && (r.capabilities.formats ?? []).includes(format);
    if (requested) {
      const r = rows[0]!;
      if (!r.paired)
        throw new Conflict(
          'satellite_not_paired',
          `Satellite ${r.name} has not paired yet; start it with its key first`,
        );
      if (!serves(r))
        throw new Conflict(
          'satellite_cannot_serve',
          `Satellite ${r.name} cannot serve ${format} models (it serves ${(r.capabilities.formats ?? []).join(', ') || 'nothing'})`,
        );
      return placed(r);
    }
    const now = Date.now();
    const candidates = rows
      .filter((r) => serves(r) && satelliteStatus(r.last_heartbeat_at, now) === 'active')
      .sort((a, b) => {
        const freeA = a.in_flight < (a.capabilities.maxConcurrency ?? 1) ? 0 : 1;
        const freeB = b.in_flight < (b.capabilities.maxConcurrency ?? 1) ? 0 : 1;
        return freeA - freeB || a.live - b.live;
      });
    const best = candidates[0];
    if (!best) {
      throw new Conflict(
        'no_satellite_available',
        `No active satellite of this orbit can serve ${format} models; pair one or pass satelliteId`,
      );
    }
    return placed(best);
  }
}

function placed(r: SatelliteRow): PlacedSatellite {
  return { id: r.id, name: r.name, runtimes: r.capabilities.runtimes ?? [], baseUrl: r.base_url };
}

function toResponse(r: SatelliteRow): SatelliteResponseDto {
  const caps = r.capabilities;
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    name: r.name,
    description: r.description,
    keyPrefix: r.key_prefix,
    paired: r.paired,
    pairedAt: r.paired_at?.toISOString() ?? null,
    status: satelliteStatus(r.last_heartbeat_at),
    lastHeartbeatAt: r.last_heartbeat_at?.toISOString() ?? null,
    baseUrl: r.base_url,
    version: r.version,
    capabilities: r.paired ? (caps as SatelliteCapabilitiesDto) : null,
    deploymentsCount: r.deployments_count,
    createdAt: r.created_at.toISOString(),
  };
}
