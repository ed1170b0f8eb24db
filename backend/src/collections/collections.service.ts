import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { Conflict, NotFound, ValidationFailed, isUniqueViolation } from '../common/errors.js';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination.js';
import { Collection, type CollectionType } from './collection.entity.js';
import type {
  CollectionCreateDto,
  CollectionQueryDto,
  CollectionResponseDto,
  CollectionSort,
  CollectionUpdateDto,
} from './dto/collection.dto.js';
import { likeContains } from './dto/tags.validator.js';

interface CollectionRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  name: string;
  description: string;
  type: CollectionType;
  tags: string[];
  artifacts_count: number;
  created_at: Date;
  updated_at: Date;
  sort_key: string | number;
}

/** Sort column → SQL over the `x` subquery, and the cast its cursor value needs. */
const SORTS: Record<CollectionSort, { expr: string; cast: string }> = {
  name: { expr: 'x.name', cast: 'text' },
  created_at: { expr: 'x.created_at', cast: 'timestamptz' },
  updated_at: { expr: 'x.updated_at', cast: 'timestamptz' },
  artifacts_count: { expr: 'x.artifacts_count', cast: 'int' },
};

const SELECT = `
  SELECT c.id, c.organization_id, c.orbit_id, c.name, c.description, c.type, c.tags, c.created_at, c.updated_at,
         (SELECT count(*)::int FROM artifacts a WHERE a.collection_id = c.id) AS artifacts_count
    FROM collections c`;

export class CollectionNotFound extends NotFound {
  constructor(id: string) {
    super('Collection', id);
  }
}

@Injectable()
export class CollectionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {}

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: CollectionCreateDto,
  ): Promise<CollectionResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['collection', 'create']);
    const id = await this.db.transaction(async (m) => {
      try {
        const r = await m.insert(Collection, {
          organizationId: orgId,
          orbitId,
          name: dto.name.trim(),
          description: dto.description ?? '',
          type: dto.type,
          tags: dto.tags ?? [],
        });
        const cid = r.identifiers[0]!.id as string;
        await this.audit.record(
          ctx,
          {
            action: 'collection.create',
            resourceType: 'collection',
            resourceId: cid,
            organizationId: orgId,
            orbitId,
            details: { name: dto.name, type: dto.type },
          },
          m,
        );
        return cid;
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
    q: CollectionQueryDto,
  ): Promise<Page<CollectionResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['collection', 'list']);
    const limit = q.limit ?? 50;
    const sortName = q.sort ?? 'created_at';
    const sort = SORTS[sortName];
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const scope = JSON.stringify([
      'collections',
      orbitId,
      q.search ?? null,
      q.type ?? null,
      sortName,
      dir,
    ]);
    const after = decodeCursor(q.cursor, scope);
    const params: unknown[] = [orbitId];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = ['c.orbit_id = $1'];
    if (q.type) where.push(`c.type = ${p(q.type)}`);
    if (q.search) {
      const s = p(likeContains(q.search));
      where.push(`(c.name ILIKE ${s} OR c.description ILIKE ${s})`);
    }
    const outer: string[] = [];
    if (after) {
      if (after.length !== 2) throw new ValidationCursor();
      checkCursorValue(sort.cast, after[0]);
      checkCursorValue('uuid', after[1]);
      outer.push(
        `(${sort.expr}, x.id) ${dir === 'DESC' ? '<' : '>'} (${p(after[0])}::${sort.cast}, ${p(after[1])}::uuid)`,
      );
    }
    const rows: CollectionRow[] = await this.db.query(
      `SELECT x.*, ${sort.expr}::text AS sort_key FROM (${SELECT} WHERE ${where.join(' AND ')}) x
        ${outer.length ? `WHERE ${outer.join(' AND ')}` : ''}
        ORDER BY ${sort.expr} ${dir}, x.id ${dir} LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor(scope, [last.sort_key, last.id]) : null,
    };
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<CollectionResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['collection', 'read']);
    return this.fetch(orbitId, id);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: CollectionUpdateDto,
  ): Promise<CollectionResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['collection', 'update']);
    await this.db.transaction(async (m) => {
      const current = await this.lock(m, orbitId, id);
      const patch: Partial<Collection> = {};
      if (dto.name !== undefined) patch.name = dto.name.trim();
      if (dto.description !== undefined) patch.description = dto.description;
      if (dto.tags !== undefined) patch.tags = dto.tags;
      if (dto.type !== undefined && dto.type !== current.type) {
        if (dto.type !== 'mixed') {
          const [{ n }] = (await m.query(
            'SELECT count(*)::int AS n FROM artifacts WHERE collection_id = $1 AND type <> $2',
            [id, dto.type],
          )) as [{ n: number }];
          if (n > 0)
            throw new Conflict(
              'collection_type_conflict',
              `The collection holds ${n} artifact(s) that are not of type ${dto.type}`,
            );
        }
        patch.type = dto.type;
      }
      try {
        if (Object.keys(patch).length) await m.update(Collection, { id, orbitId }, patch);
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(dto.name ?? '');
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'collection.update',
          resourceType: 'collection',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { ...patch },
        },
        m,
      );
    });
    return this.fetch(orbitId, id);
  }

  /** Deletes an empty collection; refused (409) while it holds artifacts. */
  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['collection', 'delete']);
    await this.db.transaction(async (m) => {
      await this.lock(m, orbitId, id);
      const [{ n }] = (await m.query(
        'SELECT count(*)::int AS n FROM artifacts WHERE collection_id = $1',
        [id],
      )) as [{ n: number }];
      if (n > 0)
        throw new Conflict(
          'collection_not_empty',
          `The collection still holds ${n} artifact(s); delete them first`,
        );
      await this.audit.record(
        ctx,
        {
          action: 'collection.delete',
          resourceType: 'collection',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
      await m.delete(Collection, { id, orbitId });
    });
  }

  /**
   * For other registry services: the collection's type, locked against deletion until the
   * caller's transaction ends. 404 when it is not in the orbit.
   */
  async typeFor(m: EntityManager, orbitId: string, id: string): Promise<CollectionType> {
    const rows: { type: CollectionType }[] = await m.query(
      'SELECT type FROM collections WHERE id = $1 AND orbit_id = $2 FOR SHARE',
      [id, orbitId],
    );
    if (!rows[0]) throw new CollectionNotFound(id);
    return rows[0].type;
  }

  private async lock(m: EntityManager, orbitId: string, id: string): Promise<Collection> {
    const rows: { id: string; type: CollectionType }[] = await m.query(
      'SELECT id, type FROM collections WHERE id = $1 AND orbit_id = $2 FOR UPDATE',
      [id, orbitId],
    );
    if (!rows[0]) throw new CollectionNotFound(id);
    return rows[0] as Collection;
  }

  private async fetch(orbitId: string, id: string): Promise<CollectionResponseDto> {
    const rows: CollectionRow[] = await this.db.query(
      `${SELECT} WHERE c.id = $1 AND c.orbit_id = $2`,
      [id, orbitId],
    );
    if (!rows[0]) throw new CollectionNotFound(id);
    return toResponse(rows[0]);
  }
}

/** A cursor that decodes for this query but carries values of the wrong shape (forged). */
export class ValidationCursor extends ValidationFailed {
  constructor() {
    super('Invalid cursor for this query', [
      { field: 'cursor', problems: ['cursor does not belong to this query'] },
    ]);
  }
}

/** Checks a keyset value against the SQL type it will be cast to. */
export function checkCursorValue(cast: string, v: unknown): void {
  const ok =
    cast === 'timestamptz'
      ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
      : cast === 'int' || cast === 'bigint'
        ? typeof v === 'string' && /^-?\d{1,19}$/.test(v)
        : cast === 'float8'
          ? typeof v === 'number' && Number.isFinite(v)
          : cast === 'uuid'
            ? typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v)
            : typeof v === 'string';
  if (!ok) throw new ValidationCursor();
}

function nameTaken(name: string): Conflict {
  return new Conflict(
    'collection_name_taken',
    `A collection named "${name}" already exists in this orbit`,
  );
}

function toResponse(r: CollectionRow): CollectionResponseDto {
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    name: r.name,
    description: r.description,
    type: r.type,
    tags: r.tags,
    artifactsCount: r.artifacts_count,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
