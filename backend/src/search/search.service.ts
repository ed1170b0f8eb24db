import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { allows } from '../access/permissions.js';
import type { RequestContext } from '../common/auth/principal.js';
import { likeContains } from '../collections/dto/tags.validator.js';
import type { SearchHitDto, SearchQueryDto, SearchResponseDto } from './dto/search.dto.js';

/** Orbit-wide search over tracks, aliases, tags (of tracks and artifacts), metric keys and artifact names. */
@Injectable()
export class SearchService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
  ) {}

  async search(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    q: SearchQueryDto,
  ): Promise<SearchResponseDto> {
    const access = await this.access.orbit(ctx, orgId, orbitId, ['orbit', 'read']);
    const like = likeContains(q.q.trim());
    const limit = q.limit ?? 20;
    const hits: SearchHitDto[] = [];
    const none = { trackId: null, artifactId: null, version: null, detail: null };
    if (allows(access.permissions, 'track', 'list')) {
      const tracks: { id: string; name: string; description: string }[] = await this.db.query(
        `SELECT id, name, description FROM tracks WHERE orbit_id = $1 AND (name ILIKE $2 OR description ILIKE $2)
          ORDER BY (name ILIKE $2) DESC, name LIMIT $3`,
        [orbitId, like, limit],
      );
      hits.push(
        ...tracks.map((t) => ({
          ...none,
          type: 'track' as const,
          label: t.name,
          trackId: t.id,
          detail: t.description || null,
        })),
      );
      const aliases: { name: string; track_id: string; track_name: string; version: number }[] =
        await this.db.query(
          `SELECT a.name, a.track_id, t.name AS track_name, v.version FROM track_aliases a
           JOIN tracks t ON t.id = a.track_id JOIN track_versions v ON v.id = a.version_id
          WHERE a.orbit_id = $1 AND a.name ILIKE $2 ORDER BY a.name, t.name LIMIT $3`,
          [orbitId, like, limit],
        );
      hits.push(
        ...aliases.map((a) => ({
          ...none,
          type: 'alias' as const,
          label: a.name,
          trackId: a.track_id,
          version: a.version,
          detail: `${a.track_name}@${a.name}`,
        })),
      );
    }
    if (
      allows(access.permissions, 'artifact', 'list') ||
      allows(access.permissions, 'track', 'list')
    ) {
      const tags: { tag: string; n: number }[] = await this.db.query(
        `SELECT tag, count(*)::int AS n FROM (
           SELECT unnest(tags) AS tag FROM tracks WHERE orbit_id = $1
           UNION ALL SELECT unnest(tags) FROM artifacts WHERE orbit_id = $1
         ) x WHERE tag ILIKE $2 GROUP BY tag ORDER BY tag LIMIT $3`,
        [orbitId, like, limit],
      );
      hits.push(
        ...tags.map((t) => ({
          ...none,
          type: 'tag' as const,
          label: t.tag,
          detail: `${t.n} tagged`,
        })),
      );
    }
    if (allows(access.permissions, 'artifact', 'list')) {
      const metrics: { key: string; n: number; artifact_id: string; value: string }[] =
        await this.db.query(
          `SELECT e.key, count(*) OVER (PARTITION BY e.key)::int AS n, a.id AS artifact_id, e.value::text AS value
           FROM artifacts a, jsonb_each(a.metrics) e
          WHERE a.orbit_id = $1 AND e.key ILIKE $2
          ORDER BY e.key, a.created_at DESC`,
          [orbitId, like],
        );
      const seen = new Set<string>();
      for (const m of metrics) {
        if (seen.has(m.key) || seen.size >= limit) continue;
        seen.add(m.key);
        hits.push({
          ...none,
          type: 'metric',
          label: m.key,
          artifactId: m.artifact_id,
          detail: `${m.n} artifact(s); latest ${m.value}`,
        });
      }
      const artifacts: { id: string; name: string }[] = await this.db.query(
        'SELECT id, name FROM artifacts WHERE orbit_id = $1 AND name ILIKE $2 ORDER BY created_at DESC LIMIT $3',
        [orbitId, like, limit],
      );
      hits.push(
        ...artifacts.map((a) => ({
          ...none,
          type: 'artifact' as const,
          label: a.name,
          artifactId: a.id,
        })),
      );
    }
    return { q: q.q, hits };
  }
}
