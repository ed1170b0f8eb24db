import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { Conflict, NotFound, ValidationFailed } from '../common/errors.js';
import { ArtifactFactsService } from './artifact-facts.service.js';
import { compareArtifacts } from './compare.js';
import type {
  CompareResponseDto,
  LineageResponseDto,
  LineageUpdateDto,
  ModelCardResponseDto,
} from './dto/lineage.dto.js';

const MAX_RUN_INFO_BYTES = 64 * 1024;

/** Artifact lineage (parents/children, run information), model cards, and artifact comparison. */
@Injectable()
export class LineageService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly facts: ArtifactFactsService,
  ) {}

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    artifactId: string,
  ): Promise<LineageResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'read']);
    return this.read(orbitId, artifactId);
  }

  /**
   * Sets what an artifact came from. Parents must be artifacts of the same orbit, and the graph
   * stays acyclic (an artifact cannot descend from itself).
   */
  async set(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    artifactId: string,
    dto: LineageUpdateDto,
  ): Promise<LineageResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'update']);
    if (
      dto.runInfo !== undefined &&
      Buffer.byteLength(JSON.stringify(dto.runInfo)) > MAX_RUN_INFO_BYTES
    ) {
      throw new ValidationFailed('Invalid request: runInfo: at most 64 KB of JSON', [
        { field: 'runInfo', problems: ['runInfo must be at most 64 KB as JSON'] },
      ]);
    }
    const parents = dto.parents ?? [];
    const ids = parents.map((p) => p.artifactId);
    if (new Set(ids).size !== ids.length) {
      throw new ValidationFailed('Invalid request: parents: each artifact may appear once', [
        { field: 'parents', problems: ['each artifact may appear once'] },
      ]);
    }
    if (ids.includes(artifactId)) {
      throw new ValidationFailed('Invalid request: parents: an artifact cannot be its own parent', [
        { field: 'parents', problems: ['an artifact cannot be its own parent'] },
      ]);
    }
    await this.db.transaction(async (m) => {
      await this.facts.get(orbitId, artifactId, m);
      // Serializes lineage edits in the orbit, so two concurrent edits cannot close a cycle together.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lineage:${orbitId}`]);
      if (dto.parents !== undefined) {
        const found = await this.facts.inOrbit(orbitId, ids, m);
        const missing = ids.filter((id) => !found.some((f) => f.id === id));
        if (missing.length) throw new NotFound('Artifact', missing[0]);
        if (ids.length) {
          const cyc: unknown[] = await m.query(
            `WITH RECURSIVE descendants(id) AS (
               SELECT artifact_id FROM artifact_lineage WHERE parent_id = $1
               UNION SELECT l.artifact_id FROM artifact_lineage l JOIN descendants d ON l.parent_id = d.id
             ) SELECT id FROM descendants WHERE id = ANY($2::uuid[]) LIMIT 1`,
            [artifactId, ids],
          );
          if (cyc.length)
            throw new Conflict(
              'lineage_cycle',
              'A parent already descends from this artifact; lineage must stay acyclic',
            );
        }
        await m.query('DELETE FROM artifact_lineage WHERE artifact_id = $1', [artifactId]);
        for (const p of parents) {
          await m.query(
            'INSERT INTO artifact_lineage (organization_id, orbit_id, artifact_id, parent_id, relation) VALUES ($1, $2, $3, $4, $5)',
            [orgId, orbitId, artifactId, p.artifactId, p.relation],
          );
        }
      }
      if (dto.runInfo !== undefined) {
        await m.query('UPDATE artifacts SET run_info = $3 WHERE id = $1 AND orbit_id = $2', [
          artifactId,
          orbitId,
          JSON.stringify(dto.runInfo),
        ]);
      }
      await this.audit.record(
        ctx,
        {
          action: 'artifact.lineage_update',
          resourceType: 'artifact',
          resourceId: artifactId,
          organizationId: orgId,
          orbitId,
          details: { parents, runInfo: dto.runInfo !== undefined },
        },
        m,
      );
    });
    return this.read(orbitId, artifactId);
  }

  async compare(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    ids: string[],
  ): Promise<CompareResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'read']);
    const items = await this.facts.inOrbit(orbitId, ids);
    const missing = ids.find((id) => !items.some((a) => a.id === id));
    if (missing) throw new NotFound('Artifact', missing);
    return compareArtifacts(items);
  }

  async getArtifactCard(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    artifactId: string,
  ): Promise<ModelCardResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'read']);
    await this.facts.get(orbitId, artifactId);
    return this.readCard('artifact_id', orbitId, artifactId);
  }

  async putArtifactCard(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    artifactId: string,
    markdown: string,
  ): Promise<ModelCardResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'update']);
    await this.db.transaction(async (m) => {
      await this.facts.get(orbitId, artifactId, m);
      await this.writeCard(m, ctx, 'artifact_id', orgId, orbitId, artifactId, markdown);
      await this.audit.record(
        ctx,
        {
          action: 'artifact.card_update',
          resourceType: 'artifact',
          resourceId: artifactId,
          organizationId: orgId,
          orbitId,
          details: { length: markdown.length },
        },
        m,
      );
    });
    return this.readCard('artifact_id', orbitId, artifactId);
  }

  /** Reads a card of an artifact or a track; an absent card is an empty one. */
  async readCard(
    column: 'artifact_id' | 'track_id',
    orbitId: string,
    id: string,
  ): Promise<ModelCardResponseDto> {
    const rows: { markdown: string; updated_at: Date; email: string | null }[] =
      await this.db.query(
        `SELECT c.markdown, c.updated_at, u.email FROM model_cards c LEFT JOIN users u ON u.id = c.updated_by WHERE c.${column} = $1 AND c.orbit_id = $2`,
        [id, orbitId],
      );
    const r = rows[0];
    return r
      ? {
          markdown: r.markdown,
          updatedAt: new Date(r.updated_at).toISOString(),
          updatedBy: r.email,
        }
      : { markdown: '', updatedAt: null, updatedBy: null };
  }

  async writeCard(
    m: EntityManager,
    ctx: RequestContext,
    column: 'artifact_id' | 'track_id',
    orgId: string,
    orbitId: string,
    id: string,
    markdown: string,
  ): Promise<void> {
    const by =
      ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
        ? ctx.principal.userId
        : null;
    await m.query(
      `INSERT INTO model_cards (organization_id, orbit_id, ${column}, markdown, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (${column}) DO UPDATE SET markdown = EXCLUDED.markdown, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [orgId, orbitId, id, markdown, by],
    );
  }

  private async read(orbitId: string, artifactId: string): Promise<LineageResponseDto> {
    const a = await this.facts.get(orbitId, artifactId);
    const parents: { artifact_id: string; name: string; relation: string }[] = await this.db.query(
      `SELECT l.parent_id AS artifact_id, a.name, l.relation FROM artifact_lineage l JOIN artifacts a ON a.id = l.parent_id
        WHERE l.artifact_id = $1 AND l.orbit_id = $2 ORDER BY a.name, a.id`,
      [artifactId, orbitId],
    );
    const children: { artifact_id: string; name: string; relation: string }[] = await this.db.query(
      `SELECT l.artifact_id, a.name, l.relation FROM artifact_lineage l JOIN artifacts a ON a.id = l.artifact_id
        WHERE l.parent_id = $1 AND l.orbit_id = $2 ORDER BY a.name, a.id`,
      [artifactId, orbitId],
    );
    const node = (r: { artifact_id: string; name: string; relation: string }) => ({
      artifactId: r.artifact_id,
      name: r.name,
      relation: r.relation,
    });
    return {
      artifactId,
      runInfo: a.runInfo,
      parents: parents.map(node),
      children: children.map(node),
    };
  }
}
