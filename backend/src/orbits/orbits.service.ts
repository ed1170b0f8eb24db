import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { orbitPermissions, type OrbitRole, type OrgRole } from '../access/permissions.js';
import { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import { Conflict, NotFound, isUniqueViolation } from '../common/errors.js';
import { StorageBackendsService } from '../storage/storage-backends.service.js';
import type {
  OrbitCreateDto,
  OrbitMemberCreateDto,
  OrbitMemberResponseDto,
  OrbitMemberUpdateDto,
  OrbitResponseDto,
  OrbitUpdateDto,
} from './dto/orbit.dto.js';
import { Orbit, OrbitMember } from './orbit.entity.js';

interface OrbitRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  storage_backend_id: string;
  max_artifact_bytes: number | null;
  created_at: Date;
  org_role: OrgRole;
  orbit_role: OrbitRole | null;
  members_count: number;
  collections_count: number;
  artifacts_count: number;
}

export const DEFAULT_ORBIT_NAME = 'default';

@Injectable()
export class OrbitsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly storage: StorageBackendsService,
  ) {}

  /** The orbit every new organization starts with, its creator as orbit admin. */
  async createDefault(
    ctx: RequestContext,
    m: EntityManager,
    organizationId: string,
    userId: string,
  ): Promise<string> {
    return this.insert(ctx, m, organizationId, userId, {
      name: DEFAULT_ORBIT_NAME,
      description: 'Created with the organization',
    });
  }

  private async insert(
    ctx: RequestContext,
    m: EntityManager,
    organizationId: string,
    userId: string,
    dto: OrbitCreateDto,
  ): Promise<string> {
    const storageBackendId =
      dto.storageBackendId ?? (await this.storage.defaultFor(m, organizationId));
    if (dto.storageBackendId)
      await this.storage.assertInOrganization(m, organizationId, dto.storageBackendId);
    try {
      const r = await m.insert(Orbit, {
        organizationId,
        storageBackendId,
        name: dto.name.trim(),
        description: dto.description ?? '',
        maxArtifactBytes: dto.maxArtifactBytes ?? null,
      });
      const id = r.identifiers[0]!.id as string;
      await m.insert(OrbitMember, { organizationId, orbitId: id, userId, role: 'admin' });
      await this.audit.record(
        ctx,
        {
          action: 'orbit.create',
          resourceType: 'orbit',
          resourceId: id,
          organizationId,
          orbitId: id,
          details: { name: dto.name },
        },
        m,
      );
      return id;
    } catch (e) {
      if (isUniqueViolation(e))
        throw new Conflict(
          'orbit_name_taken',
          `An orbit named "${dto.name}" already exists in this organization`,
        );
      throw e;
    }
  }

  async create(ctx: RequestContext, orgId: string, dto: OrbitCreateDto): Promise<OrbitResponseDto> {
    await this.access.organization(ctx, orgId, ['orbit', 'create']);
    const user = ctx.principal as UserPrincipal;
    const id = await this.db.transaction((m) => this.insert(ctx, m, orgId, user.userId, dto));
    return this.get(ctx, orgId, id);
  }

  /** Owners and admins see every orbit; members see the orbits they belong to; scoped keys see theirs. */
  async list(ctx: RequestContext, orgId: string): Promise<OrbitResponseDto[]> {
    const access = await this.access.organization(ctx, orgId, ['orbit', 'list']);
    const user = ctx.principal as UserPrincipal;
    const rows: OrbitRow[] = await this.db.query(
      `${ORBIT_SELECT} WHERE o.organization_id = $1 AND ($3::boolean OR obm.user_id IS NOT NULL) AND ($4::uuid IS NULL OR o.id = $4)
       ORDER BY o.name, o.id`,
      [orgId, user.userId, access.role !== 'member', user.apiKey?.orbitId ?? null],
    );
    return rows.map((r) => toResponse(r));
  }

  async get(ctx: RequestContext, orgId: string, orbitId: string): Promise<OrbitResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit', 'read']);
    const user = ctx.principal as UserPrincipal;
    const rows: OrbitRow[] = await this.db.query(
      `${ORBIT_SELECT} WHERE o.organization_id = $1 AND o.id = $3`,
      [orgId, user.userId, orbitId],
    );
    if (!rows[0]) throw new NotFound('Orbit', orbitId);
    return toResponse(rows[0]);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: OrbitUpdateDto,
  ): Promise<OrbitResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit', 'update']);
    await this.db.transaction(async (m) => {
      const patch: Partial<Orbit> = {};
      if (dto.name !== undefined) patch.name = dto.name.trim();
      if (dto.description !== undefined) patch.description = dto.description;
      if (dto.maxArtifactBytes !== undefined) patch.maxArtifactBytes = dto.maxArtifactBytes;
      if (dto.storageBackendId !== undefined) {
        await this.storage.assertInOrganization(m, orgId, dto.storageBackendId);
        const [{ n }] = (await m.query(
          'SELECT count(*)::int AS n FROM artifacts WHERE orbit_id = $1',
          [orbitId],
        )) as [{ n: number }];
        const current = await m.findOneByOrFail(Orbit, { id: orbitId });
        if (n > 0 && current.storageBackendId !== dto.storageBackendId) {
          throw new Conflict(
            'orbit_has_artifacts',
            'The storage backend of an orbit that holds artifacts cannot change',
          );
        }
        patch.storageBackendId = dto.storageBackendId;
      }
      try {
        if (Object.keys(patch).length)
          await m.update(Orbit, { id: orbitId, organizationId: orgId }, patch);
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'orbit_name_taken',
            `An orbit named "${dto.name}" already exists in this organization`,
          );
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'orbit.update',
          resourceType: 'orbit',
          resourceId: orbitId,
          organizationId: orgId,
          orbitId,
          details: { ...patch },
        },
        m,
      );
    });
    return this.get(ctx, orgId, orbitId);
  }

  /** Deletes an empty orbit; refused while it holds artifacts, so no stored bytes are orphaned. */
  async delete(ctx: RequestContext, orgId: string, orbitId: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit', 'delete']);
    await this.db.transaction(async (m) => {
      const [{ n }] = (await m.query(
        'SELECT count(*)::int AS n FROM artifacts WHERE orbit_id = $1',
        [orbitId],
      )) as [{ n: number }];
      if (n > 0)
        throw new Conflict(
          'orbit_has_artifacts',
          `The orbit still holds ${n} artifact(s); delete them first`,
        );
      await this.audit.record(
        ctx,
        {
          action: 'orbit.delete',
          resourceType: 'orbit',
          resourceId: orbitId,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
      await m.delete(Orbit, { id: orbitId, organizationId: orgId });
    });
  }

  /** Largest artifact the orbit accepts, bytes. */
  async maxArtifactBytes(orbitId: string): Promise<number> {
    const o = await this.db.getRepository(Orbit).findOneBy({ id: orbitId });
    return o?.maxArtifactBytes ?? this.config.maxArtifactBytes;
  }

  async storageBackendOf(orbitId: string): Promise<string> {
    const o = await this.db.getRepository(Orbit).findOneBy({ id: orbitId });
    if (!o) throw new NotFound('Orbit', orbitId);
    return o.storageBackendId;
  }

  async listMembers(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
  ): Promise<OrbitMemberResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_member', 'list']);
    return this.members('m.orbit_id = $1', [orbitId]);
  }

  async addMember(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: OrbitMemberCreateDto,
  ): Promise<OrbitMemberResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_member', 'create']);
    const id = await this.db.transaction(async (m) => {
      const inOrg: unknown[] = await m.query(
        'SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2',
        [orgId, dto.userId],
      );
      if (!inOrg.length) throw new NotFound('Organization member', dto.userId);
      try {
        const r = await m.insert(OrbitMember, {
          organizationId: orgId,
          orbitId,
          userId: dto.userId,
          role: dto.role,
        });
        const memberId = r.identifiers[0]!.id as string;
        await this.audit.record(
          ctx,
          {
            action: 'orbit_member.add',
            resourceType: 'orbit_member',
            resourceId: memberId,
            organizationId: orgId,
            orbitId,
            details: { userId: dto.userId, role: dto.role },
          },
          m,
        );
        return memberId;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict('already_member', 'This user is already a member of the orbit');
        throw e;
      }
    });
    return (await this.members('m.id = $1', [id]))[0]!;
  }

  async updateMember(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    memberId: string,
    dto: OrbitMemberUpdateDto,
  ): Promise<OrbitMemberResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_member', 'update']);
    await this.db.transaction(async (m) => {
      const r = await m.update(OrbitMember, { id: memberId, orbitId }, { role: dto.role });
      if (!r.affected) throw new NotFound('Orbit member', memberId);
      await this.audit.record(
        ctx,
        {
          action: 'orbit_member.update',
          resourceType: 'orbit_member',
          resourceId: memberId,
          organizationId: orgId,
          orbitId,
          details: { role: dto.role },
        },
        m,
      );
    });
    return (await this.members('m.id = $1', [memberId]))[0]!;
  }

  async removeMember(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    memberId: string,
  ): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_member', 'delete']);
    await this.db.transaction(async (m) => {
      const r = await m.delete(OrbitMember, { id: memberId, orbitId });
      if (!r.affected) throw new NotFound('Orbit member', memberId);
      await this.audit.record(
        ctx,
        {
          action: 'orbit_member.remove',
          resourceType: 'orbit_member',
          resourceId: memberId,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
  }

  private async members(where: string, params: unknown[]): Promise<OrbitMemberResponseDto[]> {
    const rows: {
      id: string;
      user_id: string;
      email: string;
      full_name: string;
      role: string;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT m.id, m.user_id, u.email, u.full_name, m.role, m.created_at FROM orbit_members m JOIN users u ON u.id = m.user_id WHERE ${where} ORDER BY u.email`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      email: r.email,
      fullName: r.full_name,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}

const ORBIT_SELECT = `
  SELECT o.id, o.organization_id, o.name, o.description, o.storage_backend_id, o.max_artifact_bytes, o.created_at,
         om.role AS org_role, obm.role AS orbit_role,
         (SELECT count(*)::int FROM orbit_members x WHERE x.orbit_id = o.id) AS members_count,
         (SELECT count(*)::int FROM collections x WHERE x.orbit_id = o.id) AS collections_count,
         (SELECT count(*)::int FROM artifacts x WHERE x.orbit_id = o.id) AS artifacts_count
    FROM orbits o
    JOIN organization_members om ON om.organization_id = o.organization_id AND om.user_id = $2
    LEFT JOIN orbit_members obm ON obm.orbit_id = o.id AND obm.user_id = $2`;

function toResponse(r: OrbitRow): OrbitResponseDto {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    description: r.description,
    storageBackendId: r.storage_backend_id,
    maxArtifactBytes: r.max_artifact_bytes === null ? null : Number(r.max_artifact_bytes),
    role: r.orbit_role,
    permissions: orbitPermissions(r.org_role, r.orbit_role),
    membersCount: r.members_count,
    collectionsCount: r.collections_count,
    artifactsCount: r.artifacts_count,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
