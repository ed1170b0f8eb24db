import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { Conflict, NotFound, isUniqueViolation } from '../common/errors.js';
import { decodeCursor, encodeCursor, type Page, type PageQueryDto } from '../common/pagination.js';
import { likeContains } from '../collections/dto/tags.validator.js';
import { ArtifactFactsService } from '../lineage/artifact-facts.service.js';
import { compareArtifacts } from '../lineage/compare.js';
import type { CompareResponseDto, ModelCardResponseDto } from '../lineage/dto/lineage.dto.js';
import { LineageService } from '../lineage/lineage.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import type {
  TrackCreateDto,
  TrackQueryDto,
  TrackResponseDto,
  TrackUpdateDto,
  TrackVersionCreateDto,
  TrackVersionResponseDto,
} from './dto/track.dto.js';
import { TrackHooks } from './track-hooks.js';

interface TrackRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  name: string;
  description: string;
  tags: string[];
  versions_count: number;
  latest_version: number | null;
  aliases: { name: string; version: number }[];
  created_at: Date;
  updated_at: Date;
}

interface VersionRow {
  id: string;
  track_id: string;
  version: number;
  artifact_id: string;
  note: string;
  aliases: string[];
  added_by: string | null;
  created_at: Date;
  a_name: string;
  a_format: string;
  a_file_name: string;
  a_size: number;
  a_sha256: string;
  a_metrics: Record<string, unknown>;
  a_tags: string[];
}

const TRACK_SELECT = `
  SELECT t.id, t.organization_id, t.orbit_id, t.name, t.description, t.tags, t.created_at, t.updated_at,
         (SELECT count(*)::int FROM track_versions v WHERE v.track_id = t.id) AS versions_count,
         (SELECT max(v.version) FROM track_versions v WHERE v.track_id = t.id) AS latest_version,
         COALESCE((SELECT json_agg(json_build_object('name', a.name, 'version', v.version) ORDER BY a.name)
                     FROM track_aliases a JOIN track_versions v ON v.id = a.version_id WHERE a.track_id = t.id), '[]') AS aliases
    FROM tracks t`;

const VERSION_SELECT = `
  SELECT v.id, v.track_id, v.version, v.artifact_id, v.note, v.created_at, u.email AS added_by,
         COALESCE((SELECT array_agg(al.name ORDER BY al.name) FROM track_aliases al WHERE al.version_id = v.id), '{}') AS aliases,
         a.name AS a_name, a.format AS a_format, a.file_name AS a_file_name, a.size AS a_size, a.sha256 AS a_sha256,
         a.metrics AS a_metrics, a.tags AS a_tags
    FROM track_versions v JOIN artifacts a ON a.id = v.artifact_id LEFT JOIN users u ON u.id = v.added_by`;

/** Tracks (registered models): ordered, immutable versions of artifacts of one orbit. */
@Injectable()
export class TracksService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly facts: ArtifactFactsService,
    private readonly lineage: LineageService,
    private readonly webhooks: WebhooksService,
    private readonly hooks: TrackHooks,
    private readonly artifacts: ArtifactsService,
  ) {}

  /** An artifact that is a version of a track cannot be deleted (versions are immutable). */
  onModuleInit(): void {
    this.artifacts.registerDependencyCheck('tracks', async (m, a) => {
      const rows: { name: string; version: number }[] = await m.query(
        'SELECT t.name, v.version FROM track_versions v JOIN tracks t ON t.id = v.track_id WHERE v.artifact_id = $1 AND v.orbit_id = $2 ORDER BY t.name',
        [a.id, a.orbitId],
      );
      return rows.map((r) => `track ${r.name} version ${r.version}`);
    });
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: TrackCreateDto,
  ): Promise<TrackResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'create']);
    const id = await this.db.transaction(async (m) => {
      try {
        const rows: { id: string }[] = await m.query(
          'INSERT INTO tracks (organization_id, orbit_id, name, description, tags, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
          [orgId, orbitId, dto.name.trim(), dto.description ?? '', dto.tags ?? [], userIdOf(ctx)],
        );
        const tid = rows[0]!.id;
        await this.audit.record(
          ctx,
          {
            action: 'track.create',
            resourceType: 'track',
            resourceId: tid,
            organizationId: orgId,
            orbitId,
            details: { name: dto.name },
          },
          m,
        );
        return tid;
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(dto.name);
        throw e;
      }
    });
    return this.fetch(orbitId, id);
  }

  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    q: TrackQueryDto,
  ): Promise<Page<TrackResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'list']);
    const limit = q.limit ?? 50;
    const scope = JSON.stringify(['tracks', orbitId, q.search ?? null, q.tag ?? null]);
    const after = decodeCursor(q.cursor, scope) as [string, string] | null;
    const params: unknown[] = [orbitId];
    const where = ['t.orbit_id = $1'];
    if (q.search) {
      params.push(likeContains(q.search));
      where.push(`(t.name ILIKE $${params.length} OR t.description ILIKE $${params.length})`);
    }
    if (q.tag?.length) {
      params.push(q.tag);
      where.push(`t.tags @> $${params.length}::text[]`);
    }
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(t.created_at, t.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(limit + 1);
    const rows: (TrackRow & { cursor_at: string })[] = await this.db.query(
      `SELECT x.*, to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
         FROM (${TRACK_SELECT} WHERE ${where.join(' AND ')} ORDER BY t.created_at DESC, t.id DESC LIMIT $${params.length}) x`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor(scope, [last.cursor_at, last.id]) : null,
    };
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<TrackResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    return this.fetch(orbitId, id);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: TrackUpdateDto,
  ): Promise<TrackResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    await this.db.transaction(async (m) => {
      try {
        const [, affected] = (await m.query(
          `UPDATE tracks SET name = COALESCE($3, name), description = COALESCE($4, description), tags = COALESCE($5, tags), updated_at = now()
            WHERE id = $1 AND orbit_id = $2`,
          [id, orbitId, dto.name?.trim() ?? null, dto.description ?? null, dto.tags ?? null],
        )) as [unknown, number];
        if (!affected) throw new NotFound('Track', id);
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(dto.name ?? '');
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'track.update',
          resourceType: 'track',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { ...dto },
        },
        m,
      );
    });
    return this.fetch(orbitId, id);
  }

  /** Deletes a track and its versions and aliases (not the artifacts); refused while deployed. */
  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'delete']);
    await this.db.transaction(async (m) => {
      await this.lock(m, orbitId, id);
      const why = await this.hooks.whyNotDeletable(m, { id, orbitId });
      if (why) throw new Conflict('track_deployed', `The track cannot be deleted: ${why}`);
      await this.audit.record(
        ctx,
        {
          action: 'track.delete',
          resourceType: 'track',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
      await m.query('DELETE FROM tracks WHERE id = $1 AND orbit_id = $2', [id, orbitId]);
    });
  }

  /**
   * Adds an uploaded artifact of the orbit as the next version. The number comes from the track
   * row, bumped under its lock in this transaction: concurrent adds queue, and a failed add rolls
   * its bump back, so versions are 1, 2, 3… without gaps.
   */
  async addVersion(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    dto: TrackVersionCreateDto,
  ): Promise<TrackVersionResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    const versionId = await this.db.transaction(async (m) => {
      const track = await this.lock(m, orbitId, trackId);
      const artifact = await this.facts.get(orbitId, dto.artifactId, m);
      if (artifact.status !== 'uploaded') {
        throw new Conflict(
          'artifact_not_uploaded',
          `Artifact ${artifact.id} is ${artifact.status}; only uploaded artifacts can become versions`,
        );
      }
      const dup: { version: number }[] = await m.query(
        'SELECT version FROM track_versions WHERE track_id = $1 AND artifact_id = $2',
        [trackId, dto.artifactId],
      );
      if (dup[0])
        throw new Conflict(
          'artifact_already_in_track',
          `Artifact ${dto.artifactId} already is version ${dup[0].version} of this track`,
        );
      // UPDATE … RETURNING answers [rows, affected] through TypeORM.
      const [[{ version }]] = (await m.query(
        'UPDATE tracks SET next_version = next_version + 1, updated_at = now() WHERE id = $1 RETURNING next_version - 1 AS version',
        [trackId],
      )) as [[{ version: number }], number];
      const rows: { id: string }[] = await m.query(
        `INSERT INTO track_versions (organization_id, orbit_id, track_id, version, artifact_id, note, added_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [orgId, orbitId, trackId, version, dto.artifactId, dto.note ?? '', userIdOf(ctx)],
      );
      const vid = rows[0]!.id;
      await this.audit.record(
        ctx,
        {
          action: 'track.version_add',
          resourceType: 'track',
          resourceId: trackId,
          organizationId: orgId,
          orbitId,
          details: { version, artifactId: dto.artifactId },
        },
        m,
      );
      await this.webhooks.emit(
        ctx,
        orbitId,
        'track.version_added',
        {
          trackId,
          trackName: track.name,
          version,
          versionId: vid,
          artifactId: dto.artifactId,
          artifactName: artifact.name,
        },
        m,
      );
      return vid;
    });
    return (await this.versions('v.id = $1 AND v.orbit_id = $2', [versionId, orbitId]))[0]!;
  }

  async listVersions(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    q: PageQueryDto,
  ): Promise<Page<TrackVersionResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.fetch(orbitId, trackId);
    const limit = q.limit ?? 50;
    const scope = `versions:${trackId}`;
    const after = decodeCursor(q.cursor, scope) as [number] | null;
    const items = await this.versions(
      `v.track_id = $1 AND v.orbit_id = $2 AND ($3::int IS NULL OR v.version < $3) ORDER BY v.version DESC LIMIT ${limit + 1}`,
      [trackId, orbitId, after?.[0] ?? null],
    );
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: items.length > limit && last ? encodeCursor(scope, [last.version]) : null,
    };
  }

  async getVersion(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    version: number,
  ): Promise<TrackVersionResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    const [v] = await this.versions('v.track_id = $1 AND v.orbit_id = $2 AND v.version = $3', [
      trackId,
      orbitId,
      version,
    ]);
    if (!v) {
      await this.fetch(orbitId, trackId);
      throw new NotFound('Track version', String(version));
    }
    return v;
  }

  /** Compares versions (default: the latest 20) and adds every numeric metric's trend over all versions. */
  async compare(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    versions?: number[],
  ): Promise<CompareResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.fetch(orbitId, trackId);
    const all: { version: number; artifact_id: string; metrics: Record<string, unknown> }[] =
      await this.db.query(
        `SELECT v.version, v.artifact_id, a.metrics FROM track_versions v JOIN artifacts a ON a.id = v.artifact_id
        WHERE v.track_id = $1 AND v.orbit_id = $2 ORDER BY v.version`,
        [trackId, orbitId],
      );
    const wanted = versions?.length ? versions : all.slice(-20).map((v) => v.version);
    const chosen = wanted.map((n) => {
      const v = all.find((x) => x.version === n);
      if (!v) throw new NotFound('Track version', String(n));
      return v;
    });
    const facts = await this.facts.inOrbit(
      orbitId,
      chosen.map((v) => v.artifact_id),
    );
    const out = compareArtifacts(
      facts,
      chosen.map((v) => v.version),
    );
    const keys = [...new Set(all.flatMap((v) => Object.keys(v.metrics ?? {})))].sort();
    out.trend = keys
      .map((key) => ({
        key,
        points: all
          .filter((v) => typeof v.metrics?.[key] === 'number')
          .map((v) => ({ version: v.version, value: v.metrics[key] as number })),
      }))
      .filter((t) => t.points.length > 0);
    return out;
  }

  async getCard(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
  ): Promise<ModelCardResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.fetch(orbitId, trackId);
    return this.lineage.readCard('track_id', orbitId, trackId);
  }

  async putCard(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    markdown: string,
  ): Promise<ModelCardResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    await this.db.transaction(async (m) => {
      await this.lock(m, orbitId, trackId);
      await this.lineage.writeCard(m, ctx, 'track_id', orgId, orbitId, trackId, markdown);
      await this.audit.record(
        ctx,
        {
          action: 'track.card_update',
          resourceType: 'track',
          resourceId: trackId,
          organizationId: orgId,
          orbitId,
          details: { length: markdown.length },
        },
        m,
      );
    });
    return this.lineage.readCard('track_id', orbitId, trackId);
  }

  /** Locks the track row for the transaction, or 404. */
  async lock(
    m: EntityManager,
    orbitId: string,
    trackId: string,
  ): Promise<{ id: string; name: string }> {
    const rows: { id: string; name: string }[] = await m.query(
      'SELECT id, name FROM tracks WHERE id = $1 AND orbit_id = $2 FOR UPDATE',
      [trackId, orbitId],
    );
    if (!rows[0]) throw new NotFound('Track', trackId);
    return rows[0];
  }

  private async fetch(orbitId: string, id: string): Promise<TrackResponseDto> {
    const rows: TrackRow[] = await this.db.query(
      `${TRACK_SELECT} WHERE t.id = $1 AND t.orbit_id = $2`,
      [id, orbitId],
    );
    if (!rows[0]) throw new NotFound('Track', id);
    return toResponse(rows[0]);
  }

  private async versions(where: string, params: unknown[]): Promise<TrackVersionResponseDto[]> {
    const rows: VersionRow[] = await this.db.query(`${VERSION_SELECT} WHERE ${where}`, params);
    return rows.map((r) => ({
      id: r.id,
      trackId: r.track_id,
      version: r.version,
      artifactId: r.artifact_id,
      note: r.note,
      aliases: r.aliases,
      artifact: {
        id: r.artifact_id,
        name: r.a_name,
        format: r.a_format,
        fileName: r.a_file_name,
        size: Number(r.a_size),
        sha256: r.a_sha256.trim(),
        metrics: r.a_metrics,
        tags: r.a_tags,
      },
      addedBy: r.added_by,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}

export function userIdOf(ctx: RequestContext): string | null {
  return ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
    ? ctx.principal.userId
    : null;
}

function nameTaken(name: string): Conflict {
  return new Conflict('track_name_taken', `A track named "${name}" already exists in this orbit`);
}

function toResponse(r: TrackRow): TrackResponseDto {
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    name: r.name,
    description: r.description,
    tags: r.tags,
    versionsCount: r.versions_count,
    latestVersion: r.latest_version,
    aliases: r.aliases,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
