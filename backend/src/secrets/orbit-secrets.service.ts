import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { decrypt, deriveKey, encrypt } from '../common/crypto.js';
import { Conflict, NotFound, ValidationFailed, isUniqueViolation } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import {
  MAX_SECRET_BYTES,
  type OrbitSecretCreateDto,
  type OrbitSecretResponseDto,
  type OrbitSecretUpdateDto,
  type OrbitSecretValueDto,
} from './dto/orbit-secret.dto.js';
import { OrbitSecret } from './orbit-secret.entity.js';

export class OrbitSecretNotFound extends NotFound {
  constructor(id: string) {
    super('Orbit secret', id);
  }
}

/** Orbit secrets, sealed with AES-256-GCM under a key derived for this purpose only. */
@Injectable()
export class OrbitSecretsService {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {
    this.key = deriveKey(config.secretKey, 'orbit-secrets');
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: OrbitSecretCreateDto,
  ): Promise<OrbitSecretResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'create']);
    checkSize(dto.value);
    const id = await this.db.transaction(async (m) => {
      try {
        const r = await m.insert(OrbitSecret, {
          organizationId: orgId,
          orbitId,
          name: dto.name,
          description: dto.description ?? '',
          valueEncrypted: encrypt(dto.value, this.key),
          tags: dto.tags ?? [],
          createdBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
        });
        const sid = r.identifiers[0]!.id as string;
        await this.audit.record(
          ctx,
          {
            action: 'orbit_secret.create',
            resourceType: 'orbit_secret',
            resourceId: sid,
            organizationId: orgId,
            orbitId,
            details: { name: dto.name },
          },
          m,
        );
        return sid;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'orbit_secret_name_taken',
            `A secret named ${dto.name} already exists in this orbit`,
          );
        throw e;
      }
    });
    return this.fetch(orbitId, id);
  }

  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
  ): Promise<OrbitSecretResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'list']);
    const rows = await this.db
      .getRepository(OrbitSecret)
      .find({ where: { orbitId }, order: { name: 'ASC' } });
    return rows.map(toResponse);
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<OrbitSecretResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'read']);
    return this.fetch(orbitId, id);
  }

  /** The decrypted value; needs `orbit_secret:reveal` and is audited. */
  async reveal(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<OrbitSecretValueDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'reveal']);
    const row = await this.db.getRepository(OrbitSecret).findOne({
      where: { id, orbitId },
      select: { id: true, name: true, valueEncrypted: true },
    });
    if (!row) throw new OrbitSecretNotFound(id);
    await this.audit.record(ctx, {
      action: 'orbit_secret.reveal',
      resourceType: 'orbit_secret',
      resourceId: id,
      organizationId: orgId,
      orbitId,
      details: { name: row.name },
    });
    return { id: row.id, name: row.name, value: decrypt(row.valueEncrypted, this.key) };
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: OrbitSecretUpdateDto,
  ): Promise<OrbitSecretResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'update']);
    if (dto.value !== undefined) checkSize(dto.value);
    await this.db.transaction(async (m) => {
      const patch: Partial<OrbitSecret> = {};
      if (dto.value !== undefined) patch.valueEncrypted = encrypt(dto.value, this.key);
      if (dto.description !== undefined) patch.description = dto.description;
      if (dto.tags !== undefined) patch.tags = dto.tags;
      const found = await m.countBy(OrbitSecret, { id, orbitId });
      if (!found) throw new OrbitSecretNotFound(id);
      if (Object.keys(patch).length) await m.update(OrbitSecret, { id, orbitId }, patch);
      const fields = Object.keys(patch).map((k) => (k === 'valueEncrypted' ? 'value' : k));
      await this.audit.record(
        ctx,
        {
          action: 'orbit_secret.update',
          resourceType: 'orbit_secret',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { fields },
        },
        m,
      );
    });
    return this.fetch(orbitId, id);
  }

  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['orbit_secret', 'delete']);
    await this.db.transaction(async (m) => {
      const r = await m.delete(OrbitSecret, { id, orbitId });
      if (!r.affected) throw new OrbitSecretNotFound(id);
      await this.audit.record(
        ctx,
        {
          action: 'orbit_secret.delete',
          resourceType: 'orbit_secret',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
  }

  private async fetch(orbitId: string, id: string): Promise<OrbitSecretResponseDto> {
    const row = await this.db.getRepository(OrbitSecret).findOneBy({ id, orbitId });
    if (!row) throw new OrbitSecretNotFound(id);
    return toResponse(row);
  }
}

function checkSize(value: string): void {
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
    throw new ValidationFailed('The secret value is too large', [
      { field: 'value', problems: [`value must be at most ${MAX_SECRET_BYTES} bytes of UTF-8`] },
    ]);
  }
}

function toResponse(s: OrbitSecret): OrbitSecretResponseDto {
  return {
    id: s.id,
    organizationId: s.organizationId,
    orbitId: s.orbitId,
    name: s.name,
    description: s.description,
    tags: s.tags,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
