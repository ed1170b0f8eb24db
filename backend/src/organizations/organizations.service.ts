import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import type { OrgRole } from '../access/permissions.js';
import { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import {
  Conflict,
  Forbidden,
  NotFound,
  ValidationFailed,
  isUniqueViolation,
} from '../common/errors.js';
import { OrbitsService } from '../orbits/orbits.service.js';
import { StorageBackendsService } from '../storage/storage-backends.service.js';
import type {
  InvitationCreateDto,
  InvitationResponseDto,
  MemberResponseDto,
  MemberUpdateDto,
  OrganizationCreateDto,
  OrganizationResponseDto,
  OrganizationUpdateDto,
} from './dto/organization.dto.js';
import { Organization, OrganizationInvite, OrganizationMember } from './organization.entity.js';

const INVITE_TTL_DAYS = 14;

interface OrgRow {
  id: string;
  name: string;
  description: string;
  created_at: Date;
  role: OrgRole;
  members_count: number;
  orbits_count: number;
}

@Injectable()
export class OrganizationsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly storage: StorageBackendsService,
    private readonly orbits: OrbitsService,
  ) {}

  /** A new user's own organization: owner membership, the local storage backend and a default orbit. */
  async createPersonal(
    ctx: RequestContext,
    m: EntityManager,
    user: { id: string; email: string; fullName: string },
    name?: string,
  ): Promise<string> {
    const label = user.fullName || user.email.split('@')[0]!;
    const orgId = await this.insertOrganization(
      ctx,
      m,
      (name ?? `${label}'s organization`).slice(0, 100),
      '',
      user.id,
    );
    await this.orbits.createDefault(ctx, m, orgId, user.id);
    return orgId;
  }

  async create(
    ctx: RequestContext,
    user: UserPrincipal,
    dto: OrganizationCreateDto,
  ): Promise<OrganizationResponseDto> {
    if (user.apiKey?.organizationId)
      throw new Forbidden('A scoped API key cannot create organizations');
    const id = await this.db.transaction((m) =>
      this.insertOrganization(ctx, m, dto.name.trim(), dto.description ?? '', user.userId),
    );
    return this.get(ctx, id);
  }

  private async insertOrganization(
    ctx: RequestContext,
    m: EntityManager,
    name: string,
    description: string,
    ownerId: string,
  ): Promise<string> {
    const r = await m.insert(Organization, { name, description });
    const id = r.identifiers[0]!.id as string;
    await m.insert(OrganizationMember, { organizationId: id, userId: ownerId, role: 'owner' });
    await this.storage.createLocalDefault(m, id);
    await this.audit.record(
      ctx,
      {
        action: 'organization.create',
        resourceType: 'organization',
        resourceId: id,
        organizationId: id,
        details: { name },
      },
      m,
    );
    return id;
  }

  async list(ctx: RequestContext, user: UserPrincipal): Promise<OrganizationResponseDto[]> {
    const scope = user.apiKey?.organizationId ?? null;
    const rows: OrgRow[] = await this.db.query(
      `${ORG_SELECT} WHERE om.user_id = $1 AND ($2::uuid IS NULL OR o.id = $2) ORDER BY o.name, o.id`,
      [user.userId, scope],
    );
    return Promise.all(
      rows.map(async (r) =>
        this.toResponse(r, (await this.access.organization(ctx, r.id)).permissions),
      ),
    );
  }

  async get(ctx: RequestContext, orgId: string): Promise<OrganizationResponseDto> {
    const access = await this.access.organization(ctx, orgId);
    const p = ctx.principal as UserPrincipal;
    const rows: OrgRow[] = await this.db.query(
      `${ORG_SELECT} WHERE om.user_id = $1 AND o.id = $2`,
      [p.userId, orgId],
    );
    if (!rows[0]) throw new NotFound('Organization', orgId);
    return this.toResponse(rows[0], access.permissions);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    dto: OrganizationUpdateDto,
  ): Promise<OrganizationResponseDto> {
    await this.access.organization(ctx, orgId, ['organization', 'update']);
    await this.db.transaction(async (m) => {
      const patch: Partial<Organization> = {};
      if (dto.name !== undefined) patch.name = dto.name.trim();
      if (dto.description !== undefined) patch.description = dto.description;
      if (Object.keys(patch).length) await m.update(Organization, { id: orgId }, patch);
      await this.audit.record(
        ctx,
        {
          action: 'organization.update',
          resourceType: 'organization',
          resourceId: orgId,
          organizationId: orgId,
          details: { ...patch },
        },
        m,
      );
    });
    return this.get(ctx, orgId);
  }

  /** Deletes an organization; refused while it still has other members or artifacts. */
  async delete(ctx: RequestContext, orgId: string): Promise<void> {
    await this.access.organization(ctx, orgId, ['organization', 'delete']);
    await this.db.transaction(async (m) => {
      const [{ members, artifacts }] = (await m.query(
        `SELECT (SELECT count(*)::int FROM organization_members WHERE organization_id = $1) AS members,
                (SELECT count(*)::int FROM artifacts WHERE organization_id = $1) AS artifacts`,
        [orgId],
      )) as [{ members: number; artifacts: number }];
      if (members > 1)
        throw new Conflict(
          'organization_has_members',
          'Remove the other members before deleting the organization',
        );
      if (artifacts > 0)
        throw new Conflict(
          'organization_has_artifacts',
          'Delete the organization’s artifacts before deleting it',
        );
      await this.audit.record(
        ctx,
        { action: 'organization.delete', resourceType: 'organization', resourceId: orgId },
        m,
      );
      await m.delete(Organization, { id: orgId });
    });
  }

  async listMembers(ctx: RequestContext, orgId: string): Promise<MemberResponseDto[]> {
    await this.access.organization(ctx, orgId, ['organization_member', 'list']);
    const rows: {
      id: string;
      user_id: string;
      email: string;
      full_name: string;
      role: string;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT m.id, m.user_id, u.email, u.full_name, m.role, m.created_at
         FROM organization_members m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = $1 ORDER BY u.email`,
      [orgId],
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

  /** Changes a member's role. Only owners grant or take away ownership; the last owner stays. */
  async updateMember(
    ctx: RequestContext,
    orgId: string,
    memberId: string,
    dto: MemberUpdateDto,
  ): Promise<MemberResponseDto> {
    const access = await this.access.organization(ctx, orgId, ['organization_member', 'update']);
    await this.db.transaction(async (m) => {
      const member = await this.lockMember(m, orgId, memberId);
      if ((member.role === 'owner' || dto.role === 'owner') && access.role !== 'owner')
        throw new Forbidden('Only owners can grant or remove the owner role');
      if (member.role === 'owner' && dto.role !== 'owner') await this.assertNotLastOwner(m, orgId);
      await m.update(OrganizationMember, { id: memberId }, { role: dto.role });
      await this.audit.record(
        ctx,
        {
          action: 'organization_member.update',
          resourceType: 'organization_member',
          resourceId: memberId,
          organizationId: orgId,
          details: { from: member.role, to: dto.role },
        },
        m,
      );
    });
    const members = await this.listMembers(ctx, orgId);
    return members.find((x) => x.id === memberId)!;
  }

  /** Removes a member (and their orbit memberships). Anyone may remove themselves (leave). */
  async removeMember(ctx: RequestContext, orgId: string, memberId: string): Promise<void> {
    const access = await this.access.organization(ctx, orgId);
    const self = (ctx.principal as UserPrincipal).userId;
    await this.db.transaction(async (m) => {
      const member = await this.lockMember(m, orgId, memberId);
      if (member.userId !== self) {
        this.access.assert(access.permissions, 'organization_member', 'delete');
        if (member.role === 'owner' && access.role !== 'owner')
          throw new Forbidden('Only owners can remove an owner');
      }
      if (member.role === 'owner') await this.assertNotLastOwner(m, orgId);
      await m.query('DELETE FROM orbit_members WHERE organization_id = $1 AND user_id = $2', [
        orgId,
        member.userId,
      ]);
      await m.delete(OrganizationMember, { id: memberId });
      await this.audit.record(
        ctx,
        {
          action:
            member.userId === self ? 'organization_member.leave' : 'organization_member.remove',
          resourceType: 'organization_member',
          resourceId: memberId,
          organizationId: orgId,
          details: { userId: member.userId },
        },
        m,
      );
    });
  }

  private async lockMember(
    m: EntityManager,
    orgId: string,
    memberId: string,
  ): Promise<OrganizationMember> {
    const member = await m
      .getRepository(OrganizationMember)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.id = :memberId AND m.organization_id = :orgId', { memberId, orgId })
      .getOne();
    if (!member) throw new NotFound('Member', memberId);
    return member;
  }

  private async assertNotLastOwner(m: EntityManager, orgId: string): Promise<void> {
    const owners = await m
      .getRepository(OrganizationMember)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.organization_id = :orgId AND m.role = :role', { orgId, role: 'owner' })
      .getMany();
    if (owners.length <= 1)
      throw new Conflict(
        'last_owner',
        'An organization needs at least one owner; make someone else owner first',
      );
  }

  async createInvitation(
    ctx: RequestContext,
    orgId: string,
    dto: InvitationCreateDto,
  ): Promise<InvitationResponseDto> {
    await this.access.organization(ctx, orgId, ['organization_invite', 'create']);
    const email = dto.email.trim().toLowerCase();
    const id = await this.db.transaction(async (m) => {
      const existing: unknown[] = await m.query(
        'SELECT 1 FROM organization_members om JOIN users u ON u.id = om.user_id WHERE om.organization_id = $1 AND lower(u.email) = $2',
        [orgId, email],
      );
      if (existing.length) throw new Conflict('already_member', `${email} is already a member`);
      try {
        const r = await m.insert(OrganizationInvite, {
          organizationId: orgId,
          email,
          role: dto.role,
          invitedBy: (ctx.principal as UserPrincipal).userId,
          expiresAt: new Date(Date.now() + INVITE_TTL_DAYS * 86400_000),
        });
        const inviteId = r.identifiers[0]!.id as string;
        await this.audit.record(
          ctx,
          {
            action: 'organization_invite.create',
            resourceType: 'organization_invite',
            resourceId: inviteId,
            organizationId: orgId,
            details: { email, role: dto.role },
          },
          m,
        );
        return inviteId;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict('already_invited', `${email} already has a pending invitation`);
        throw e;
      }
    });
    return (await this.invitations(`i.id = $1`, [id]))[0]!;
  }

  async listInvitations(ctx: RequestContext, orgId: string): Promise<InvitationResponseDto[]> {
    await this.access.organization(ctx, orgId, ['organization_invite', 'list']);
    return this.invitations('i.organization_id = $1 AND i.expires_at > now()', [orgId]);
  }

  async revokeInvitation(ctx: RequestContext, orgId: string, id: string): Promise<void> {
    await this.access.organization(ctx, orgId, ['organization_invite', 'delete']);
    await this.db.transaction(async (m) => {
      const r = await m.delete(OrganizationInvite, { id, organizationId: orgId });
      if (!r.affected) throw new NotFound('Invitation', id);
      await this.audit.record(
        ctx,
        {
          action: 'organization_invite.revoke',
          resourceType: 'organization_invite',
          resourceId: id,
          organizationId: orgId,
        },
        m,
      );
    });
  }

  /** Pending invitations addressed to the caller's email. */
  async myInvitations(user: UserPrincipal): Promise<InvitationResponseDto[]> {
    return this.invitations('lower(i.email) = lower($1) AND i.expires_at > now()', [user.email]);
  }

  async respondToInvitation(
    ctx: RequestContext,
    user: UserPrincipal,
    id: string,
    accept: boolean,
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      const invite = await m
        .getRepository(OrganizationInvite)
        .createQueryBuilder('i')
        .setLock('pessimistic_write')
        .where('i.id = :id', { id })
        .getOne();
      if (!invite || invite.email.toLowerCase() !== user.email.toLowerCase())
        throw new NotFound('Invitation', id);
      if (invite.expiresAt < new Date())
        throw new ValidationFailed('This invitation has expired; ask for a new one');
      if (accept) {
        await m.query(
          `INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (organization_id, user_id) DO NOTHING`,
          [invite.organizationId, user.userId, invite.role],
        );
      }
      await m.delete(OrganizationInvite, { id });
      await this.audit.record(
        ctx,
        {
          action: accept ? 'organization_invite.accept' : 'organization_invite.decline',
          resourceType: 'organization_invite',
          resourceId: id,
          organizationId: invite.organizationId,
        },
        m,
      );
    });
  }

  private async invitations(where: string, params: unknown[]): Promise<InvitationResponseDto[]> {
    const rows: {
      id: string;
      organization_id: string;
      org_name: string;
      email: string;
      role: string;
      inviter: string | null;
      expires_at: Date;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT i.id, i.organization_id, o.name AS org_name, i.email, i.role, u.email AS inviter, i.expires_at, i.created_at
           FROM organization_invites i JOIN organizations o ON o.id = i.organization_id LEFT JOIN users u ON u.id = i.invited_by
          WHERE ${where} ORDER BY i.created_at DESC`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      organizationName: r.org_name,
      email: r.email,
      role: r.role,
      invitedBy: r.inviter,
      link: `${this.config.publicUrl}/invitations/${r.id}`,
      expiresAt: new Date(r.expires_at).toISOString(),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  private toResponse(r: OrgRow, permissions: Record<string, string[]>): OrganizationResponseDto {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      role: r.role,
      permissions,
      membersCount: r.members_count,
      orbitsCount: r.orbits_count,
      createdAt: new Date(r.created_at).toISOString(),
    };
  }
}

const ORG_SELECT = `
  SELECT o.id, o.name, o.description, o.created_at, om.role,
         (SELECT count(*)::int FROM organization_members x WHERE x.organization_id = o.id) AS members_count,
         (SELECT count(*)::int FROM orbits x WHERE x.organization_id = o.id) AS orbits_count
    FROM organizations o JOIN organization_members om ON om.organization_id = o.id`;
