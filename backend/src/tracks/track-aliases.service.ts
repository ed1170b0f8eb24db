import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService, type OrbitAccess } from '../access/access.service.js';
import { effectiveOrbitRole } from '../access/permissions.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { DomainError, Forbidden, NotFound, ValidationFailed } from '../common/errors.js';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination.js';
import { ArtifactFactsService } from '../lineage/artifact-facts.service.js';
import { schemaDiff, schemasMatch } from '../lineage/compare.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import type {
  AliasEventQueryDto,
  AliasEventResponseDto,
  AliasMoveDto,
  AliasRuleResponseDto,
  AliasRuleUpsertDto,
  MetricRequirementDto,
  RuleRole,
  TrackAliasResponseDto,
} from './dto/track.dto.js';
import { TrackHooks } from './track-hooks.js';
import { TracksService, userIdOf } from './tracks.service.js';

/** A move refused by a rule: 403 (roles) or 409 (requirements, compare-and-set), naming the rule. */
export class AliasMoveRefused extends DomainError {
  constructor(
    status: 403 | 409,
    code: string,
    readonly rule: string,
    message: string,
    readonly fromVersion: number | null,
    readonly toVersion: number | null,
  ) {
    super(status, code, message, { rule });
  }
}

interface RuleRow {
  alias: string;
  allowed_roles: string[] | null;
  require_schema_match: boolean;
  metric_requirements: MetricRequirementDto[];
  updated_at: Date;
}

/** Aliases of a track: moves (with rules and compare-and-set), removal, rules, and the move history. */
@Injectable()
export class TrackAliasesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly tracks: TracksService,
    private readonly facts: ArtifactFactsService,
    private readonly webhooks: WebhooksService,
    private readonly hooks: TrackHooks,
  ) {}

  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
  ): Promise<TrackAliasResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.tracks.get(ctx, orgId, orbitId, trackId);
    return this.aliases(orbitId, trackId);
  }

  /**
   * Points `alias` at a version. Runs under the track's row lock, so moves of one track are
   * serialized and each sees the previous one's result; with `expectedVersion` a move is a
   * compare-and-set and of two racing moves exactly one wins. Every refusal is recorded too.
   */
  async move(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    alias: string,
    dto: AliasMoveDto,
  ): Promise<TrackAliasResponseDto> {
    const access = await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    try {
      await this.db.transaction(async (m) => {
        const track = await this.tracks.lock(m, orbitId, trackId);
        const target = await this.version(m, trackId, dto.version);
        const current = await this.holder(m, trackId, alias);
        const from = current?.version ?? null;
        if (dto.expectedVersion !== undefined && from !== dto.expectedVersion) {
          throw new AliasMoveRefused(
            409,
            'alias_changed',
            'expectedVersion',
            `Alias "${alias}" holds ${from === null ? 'no version' : `version ${from}`}, not ${dto.expectedVersion === null ? 'none' : `version ${dto.expectedVersion}`}: it was moved meanwhile`,
            from,
            dto.version,
          );
        }
        await this.applyRules(m, access, trackId, alias, current, target);
        if (current?.version_id === target.id) return;
        await m.query(
          `INSERT INTO track_aliases (organization_id, orbit_id, track_id, name, version_id, moved_by) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (track_id, name) DO UPDATE SET version_id = EXCLUDED.version_id, moved_by = EXCLUDED.moved_by, moved_at = now()`,
          [orgId, orbitId, trackId, alias, target.id, userIdOf(ctx)],
        );
        await this.event(
          m,
          ctx,
          orgId,
          orbitId,
          trackId,
          alias,
          from,
          target.version,
          'moved',
          null,
          dto.reason ?? null,
        );
        await this.audit.record(
          ctx,
          {
            action: 'track.alias_move',
            resourceType: 'track',
            resourceId: trackId,
            organizationId: orgId,
            orbitId,
            details: { alias, from, to: target.version },
          },
          m,
        );
        const event = {
          organizationId: orgId,
          orbitId,
          trackId,
          trackName: track.name,
          alias,
          fromVersion: from,
          toVersion: target.version,
          fromArtifactId: current?.artifact_id ?? null,
          toArtifactId: target.artifact_id,
        };
        await this.hooks.aliasMoved(ctx, m, event);
        await this.webhooks.emit(ctx, orbitId, 'track.alias_moved', { ...event }, m);
      });
    } catch (e) {
      if (e instanceof AliasMoveRefused) {
        await this.event(
          this.db.manager,
          ctx,
          orgId,
          orbitId,
          trackId,
          alias,
          e.fromVersion,
          e.toVersion,
          'refused',
          e.rule,
          e.message,
        );
      }
      throw e;
    }
    const found = (await this.aliases(orbitId, trackId)).find((a) => a.name === alias);
    if (!found) throw new NotFound('Alias', alias);
    return found;
  }

  /** Removes an alias (the roles rule applies); recorded as `removed`. */
  async remove(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    alias: string,
  ): Promise<void> {
    const access = await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    try {
      await this.db.transaction(async (m) => {
        await this.tracks.lock(m, orbitId, trackId);
        const current = await this.holder(m, trackId, alias);
        if (!current) throw new NotFound('Alias', alias);
        const rule = await this.rule(m, trackId, alias);
        if (rule) this.checkRoles(access, rule, alias, current.version, null);
        await m.query('DELETE FROM track_aliases WHERE track_id = $1 AND name = $2', [
          trackId,
          alias,
        ]);
        await this.event(
          m,
          ctx,
          orgId,
          orbitId,
          trackId,
          alias,
          current.version,
          null,
          'removed',
          null,
          null,
        );
        await this.audit.record(
          ctx,
          {
            action: 'track.alias_remove',
            resourceType: 'track',
            resourceId: trackId,
            organizationId: orgId,
            orbitId,
            details: { alias, from: current.version },
          },
          m,
        );
      });
    } catch (e) {
      if (e instanceof AliasMoveRefused)
        await this.event(
          this.db.manager,
          ctx,
          orgId,
          orbitId,
          trackId,
          alias,
          e.fromVersion,
          null,
          'refused',
          e.rule,
          e.message,
        );
      throw e;
    }
  }

  async history(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    q: AliasEventQueryDto,
  ): Promise<Page<AliasEventResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.tracks.get(ctx, orgId, orbitId, trackId);
    const limit = q.limit ?? 50;
    const scope = JSON.stringify(['alias-history', trackId, q.alias ?? null]);
    const after = decodeCursor(q.cursor, scope) as [string, string] | null;
    const rows: {
      id: string;
      alias: string;
      from_version: number | null;
      to_version: number | null;
      outcome: string;
      rule: string | null;
      reason: string | null;
      actor_id: string | null;
      actor_label: string;
      created_at: Date;
      cursor_at: string;
    }[] = await this.db.query(
      `SELECT e.*, to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at FROM track_alias_events e
          WHERE e.track_id = $1 AND e.orbit_id = $2 AND ($3::text IS NULL OR e.alias = $3)
            AND ($4::timestamptz IS NULL OR (e.created_at, e.id) < ($4::timestamptz, $5::uuid))
          ORDER BY e.created_at DESC, e.id DESC LIMIT $6`,
      [trackId, orbitId, q.alias ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        alias: r.alias,
        fromVersion: r.from_version,
        toVersion: r.to_version,
        outcome: r.outcome,
        rule: r.rule,
        reason: r.reason,
        actorId: r.actor_id,
        actorLabel: r.actor_label,
        createdAt: new Date(r.created_at).toISOString(),
      })),
      nextCursor:
        rows.length > limit && last ? encodeCursor(scope, [last.cursor_at, last.id]) : null,
    };
  }

  async listRules(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
  ): Promise<AliasRuleResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['track', 'read']);
    await this.tracks.get(ctx, orgId, orbitId, trackId);
    const rows: RuleRow[] = await this.db.query(
      'SELECT * FROM track_alias_rules WHERE track_id = $1 AND orbit_id = $2 ORDER BY alias',
      [trackId, orbitId],
    );
    return rows.map(ruleResponse);
  }

  /**
   * Sets the rule of an alias. Only orbit admins may (a rule about who may move an alias would be
   * void if those it restricts could rewrite it). A rule no one could ever satisfy is refused.
   */
  async putRule(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    alias: string,
    dto: AliasRuleUpsertDto,
  ): Promise<AliasRuleResponseDto> {
    const access = await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    if (effectiveOrbitRole(access.orgRole, access.orbitRole) !== 'admin')
      throw new Forbidden('Only orbit admins may set alias rules');
    assertSatisfiable(dto);
    await this.db.transaction(async (m) => {
      await this.tracks.lock(m, orbitId, trackId);
      await m.query(
        `INSERT INTO track_alias_rules (organization_id, orbit_id, track_id, alias, allowed_roles, require_schema_match, metric_requirements)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (track_id, alias) DO UPDATE SET allowed_roles = EXCLUDED.allowed_roles, require_schema_match = EXCLUDED.require_schema_match,
                     metric_requirements = EXCLUDED.metric_requirements, updated_at = now()`,
        [
          orgId,
          orbitId,
          trackId,
          alias,
          dto.allowedRoles ?? null,
          dto.requireSchemaMatch ?? false,
          JSON.stringify(
            (dto.metrics ?? []).map((x) => ({ key: x.key, op: x.op, threshold: x.threshold })),
          ),
        ],
      );
      await this.audit.record(
        ctx,
        {
          action: 'track.alias_rule_set',
          resourceType: 'track',
          resourceId: trackId,
          organizationId: orgId,
          orbitId,
          details: { alias, ...dto },
        },
        m,
      );
    });
    const rows: RuleRow[] = await this.db.query(
      'SELECT * FROM track_alias_rules WHERE track_id = $1 AND alias = $2',
      [trackId, alias],
    );
    return ruleResponse(rows[0]!);
  }

  async deleteRule(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    alias: string,
  ): Promise<void> {
    const access = await this.access.orbit(ctx, orgId, orbitId, ['track', 'update']);
    if (effectiveOrbitRole(access.orgRole, access.orbitRole) !== 'admin')
      throw new Forbidden('Only orbit admins may remove alias rules');
    await this.db.transaction(async (m) => {
      await this.tracks.lock(m, orbitId, trackId);
      const [, affected] = (await m.query(
        'DELETE FROM track_alias_rules WHERE track_id = $1 AND alias = $2',
        [trackId, alias],
      )) as [unknown, number];
      if (!affected) throw new NotFound('Alias rule', alias);
      await this.audit.record(
        ctx,
        {
          action: 'track.alias_rule_delete',
          resourceType: 'track',
          resourceId: trackId,
          organizationId: orgId,
          orbitId,
          details: { alias },
        },
        m,
      );
    });
  }

  private async applyRules(
    m: EntityManager,
    access: OrbitAccess,
    trackId: string,
    alias: string,
    current: Holder | null,
    target: VersionRef,
  ): Promise<void> {
    const rule = await this.rule(m, trackId, alias);
    if (!rule) return;
    const from = current?.version ?? null;
    this.checkRoles(access, rule, alias, from, target.version);
    const [candidate] = await this.facts.inOrbit(access.orbitId, [target.artifact_id], m);
    if (rule.require_schema_match && current && current.version_id !== target.id) {
      const [held] = await this.facts.inOrbit(access.orbitId, [current.artifact_id], m);
      if (held && candidate && !schemasMatch(held.manifest, candidate.manifest)) {
        const i = schemaDiff(held.manifest, candidate.manifest, 'inputs');
        const o = schemaDiff(held.manifest, candidate.manifest, 'outputs');
        const what = [
          ...i.added.map((n) => `input ${n} added`),
          ...i.removed.map((n) => `input ${n} removed`),
          ...i.changed.map((c) => `input ${c.name} changed`),
          ...o.added.map((n) => `output ${n} added`),
          ...o.removed.map((n) => `output ${n} removed`),
          ...o.changed.map((c) => `output ${c.name} changed`),
        ].join(', ');
        throw new AliasMoveRefused(
          409,
          'alias_rule_refused',
          `${alias}.requireSchemaMatch`,
          `Rule ${alias}.requireSchemaMatch refused the move: version ${target.version}'s schema differs from version ${from}'s (${what})`,
          from,
          target.version,
        );
      }
    }
    for (const req of rule.metric_requirements) {
      const v = candidate?.metrics[req.key];
      const ok =
        typeof v === 'number' && (req.op === 'gte' ? v >= req.threshold : v <= req.threshold);
      if (!ok) {
        const name = `${alias}.metrics.${req.key} ${req.op === 'gte' ? '>=' : '<='} ${req.threshold}`;
        throw new AliasMoveRefused(
          409,
          'alias_rule_refused',
          name,
          `Rule ${name} refused the move: version ${target.version} has ${req.key} = ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
          from,
          target.version,
        );
      }
    }
  }

  private checkRoles(
    access: OrbitAccess,
    rule: RuleRow,
    alias: string,
    from: number | null,
    to: number | null,
  ): void {
    if (!rule.allowed_roles) return;
    const orbitRole = effectiveOrbitRole(access.orgRole, access.orbitRole);
    const mine: RuleRole[] = [
      `org:${access.orgRole}`,
      ...(orbitRole ? [`orbit:${orbitRole}` as RuleRole] : []),
    ];
    if (!mine.some((r) => rule.allowed_roles!.includes(r))) {
      throw new AliasMoveRefused(
        403,
        'alias_rule_refused',
        `${alias}.allowedRoles`,
        `Rule ${alias}.allowedRoles refused the move: only ${rule.allowed_roles.join(', ')} may move "${alias}"`,
        from,
        to,
      );
    }
  }

  private async rule(m: EntityManager, trackId: string, alias: string): Promise<RuleRow | null> {
    const rows: RuleRow[] = await m.query(
      'SELECT * FROM track_alias_rules WHERE track_id = $1 AND alias = $2',
      [trackId, alias],
    );
    return rows[0] ?? null;
  }

  private async version(m: EntityManager, trackId: string, version: number): Promise<VersionRef> {
    const rows: VersionRef[] = await m.query(
      'SELECT id, version, artifact_id FROM track_versions WHERE track_id = $1 AND version = $2',
      [trackId, version],
    );
    if (!rows[0]) throw new NotFound('Track version', String(version));
    return rows[0];
  }

  private async holder(m: EntityManager, trackId: string, alias: string): Promise<Holder | null> {
    const rows: Holder[] = await m.query(
      'SELECT a.version_id, v.version, v.artifact_id FROM track_aliases a JOIN track_versions v ON v.id = a.version_id WHERE a.track_id = $1 AND a.name = $2',
      [trackId, alias],
    );
    return rows[0] ?? null;
  }

  private async event(
    m: EntityManager,
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    trackId: string,
    alias: string,
    from: number | null,
    to: number | null,
    outcome: 'moved' | 'refused' | 'removed',
    rule: string | null,
    reason: string | null,
  ): Promise<void> {
    const p = ctx.principal;
    await m.query(
      `INSERT INTO track_alias_events (organization_id, orbit_id, track_id, alias, from_version, to_version, outcome, rule, reason, actor_id, actor_label, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        orgId,
        orbitId,
        trackId,
        alias,
        from,
        to,
        outcome,
        rule,
        reason?.slice(0, 2000) ?? null,
        p.kind === 'user' ? p.userId : p.satelliteId,
        p.kind === 'user' ? p.email : `satellite ${p.satelliteId}`,
        ctx.requestId || null,
      ],
    );
  }

  private async aliases(orbitId: string, trackId: string): Promise<TrackAliasResponseDto[]> {
    const rows: {
      name: string;
      version: number;
      version_id: string;
      artifact_id: string;
      email: string | null;
      moved_at: Date;
    }[] = await this.db.query(
      `SELECT a.name, v.version, a.version_id, v.artifact_id, u.email, a.moved_at
         FROM track_aliases a JOIN track_versions v ON v.id = a.version_id LEFT JOIN users u ON u.id = a.moved_by
        WHERE a.track_id = $1 AND a.orbit_id = $2 ORDER BY a.name`,
      [trackId, orbitId],
    );
    return rows.map((r) => ({
      name: r.name,
      version: r.version,
      versionId: r.version_id,
      artifactId: r.artifact_id,
      movedBy: r.email,
      movedAt: new Date(r.moved_at).toISOString(),
    }));
  }
}

interface VersionRef {
  id: string;
  version: number;
  artifact_id: string;
}

interface Holder {
  version_id: string;
  version: number;
  artifact_id: string;
}

/** Refuses rules no move could ever pass: no role at all, or a metric bound above its ceiling. */
function assertSatisfiable(dto: AliasRuleUpsertDto): void {
  if (dto.allowedRoles && dto.allowedRoles.length === 0) {
    throw new ValidationFailed(
      'Invalid request: allowedRoles: an empty list would let no one move the alias (omit it to allow everyone who may update the track)',
      [{ field: 'allowedRoles', problems: ['an empty list would let no one move the alias'] }],
    );
  }
  const byKey = new Map<string, { min: number; max: number }>();
  for (const r of dto.metrics ?? []) {
    const b = byKey.get(r.key) ?? { min: -Infinity, max: Infinity };
    if (r.op === 'gte') b.min = Math.max(b.min, r.threshold);
    else b.max = Math.min(b.max, r.threshold);
    byKey.set(r.key, b);
    if (b.min > b.max) {
      throw new ValidationFailed(
        `Invalid request: metrics: ${r.key} cannot be at least ${b.min} and at most ${b.max}`,
        [
          {
            field: 'metrics',
            problems: [
              `${r.key} cannot be at least ${b.min} and at most ${b.max}: no version could satisfy the rule`,
            ],
          },
        ],
      );
    }
  }
}

function ruleResponse(r: RuleRow): AliasRuleResponseDto {
  return {
    alias: r.alias,
    allowedRoles: r.allowed_roles,
    requireSchemaMatch: r.require_schema_match,
    metrics: r.metric_requirements,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
