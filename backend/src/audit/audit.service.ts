import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination.js';
import { AuditEvent } from './audit-event.entity.js';
import type { AuditEventQueryDto, AuditEventResponseDto } from './dto/audit.dto.js';

/** One mutation to record. `action` is `<resource>.<verb>`, e.g. `artifact.create`. */
export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  organizationId?: string | null;
  orbitId?: string | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
  ) {}

  /**
   * Records a mutation. Pass the transaction's manager so the event commits (or rolls back)
   * with the change it describes.
   */
  async record(
    ctx: RequestContext,
    rec: AuditRecord,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    const p = ctx.principal;
    const actor =
      p.kind === 'satellite'
        ? {
            actorType: 'satellite',
            actorId: p.satelliteId,
            actorLabel: `satellite ${p.satelliteId}`,
          }
        : p.email === 'system'
          ? { actorType: 'system', actorId: null, actorLabel: 'system' }
          : {
              actorType: p.via === 'api_key' ? 'api_key' : 'user',
              actorId: p.userId,
              actorLabel: p.email,
            };
    await manager.insert(AuditEvent, {
      ...actor,
      action: rec.action,
      resourceType: rec.resourceType,
      resourceId: rec.resourceId ?? null,
      organizationId: rec.organizationId ?? (p.kind === 'satellite' ? p.organizationId : null),
      orbitId: rec.orbitId ?? null,
      details: (rec.details ?? {}) as object,
      requestId: ctx.requestId || null,
    });
  }

  async list(
    ctx: RequestContext,
    organizationId: string,
    q: AuditEventQueryDto,
  ): Promise<Page<AuditEventResponseDto>> {
    await this.access.organization(ctx, organizationId, ['audit_event', 'list']);
    const limit = q.limit ?? 50;
    const scope = JSON.stringify([
      organizationId,
      q.orbitId,
      q.actorId,
      q.action,
      q.resourceType,
      q.resourceId,
      q.since,
      q.until,
      q.actorType,
    ]);
    const after = decodeCursor(q.cursor, scope) as [string, string] | null;
    const qb = this.db
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.organization_id = :organizationId', { organizationId });
    if (q.orbitId) qb.andWhere('e.orbit_id = :orbitId', { orbitId: q.orbitId });
    if (q.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: q.actorId });
    if (q.actorType) qb.andWhere('e.actor_type = :actorType', { actorType: q.actorType });
    if (q.action) {
      if (q.action.endsWith('.'))
        qb.andWhere('e.action LIKE :action', { action: `${q.action.replace(/[%_\\]/g, '\\$&')}%` });
      else qb.andWhere('e.action = :action', { action: q.action });
    }
    if (q.resourceType) qb.andWhere('e.resource_type = :rt', { rt: q.resourceType });
    if (q.resourceId) qb.andWhere('e.resource_id = :rid', { rid: q.resourceId });
    if (q.since) qb.andWhere('e.created_at >= :since', { since: q.since });
    if (q.until) qb.andWhere('e.created_at < :until', { until: q.until });
    if (after) qb.andWhere('(e.created_at, e.id) < (:at, :id)', { at: after[0], id: after[1] });
    const rows = await qb
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toResponse),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor(scope, [last.createdAt.toISOString(), last.id])
          : null,
    };
  }
}

function toResponse(e: AuditEvent): AuditEventResponseDto {
  return {
    id: e.id,
    organizationId: e.organizationId,
    orbitId: e.orbitId,
    actorType: e.actorType,
    actorId: e.actorId,
    actorLabel: e.actorLabel,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    details: e.details,
    requestId: e.requestId,
    createdAt: e.createdAt.toISOString(),
  };
}
