import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import { TokenResolvers } from '../common/auth/token-resolvers.js';
import { deriveKey, generateToken, hashToken } from '../common/crypto.js';
import { NotFound, ValidationFailed } from '../common/errors.js';
import type { ApiKeyCreateDto, ApiKeyCreatedDto, ApiKeyResponseDto } from './dto/api-key.dto.js';
import { ApiKey } from './user.entity.js';

export const API_KEY_PREFIX = 'apg_';
const LAST_USED_RESOLUTION_MS = 60_000;

/** Personal API keys: many per user, optional org/orbit scope and expiry, stored as keyed hashes. */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly resolvers: TokenResolvers,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {
    this.key = deriveKey(config.secretKey, 'api-keys');
  }

  onModuleInit(): void {
    this.resolvers.register({ prefix: API_KEY_PREFIX, resolve: (t) => this.authenticate(t) });
  }

  async authenticate(token: string): Promise<UserPrincipal | null> {
    const rows: {
      id: string;
      user_id: string;
      email: string;
      organization_id: string | null;
      orbit_id: string | null;
      last_used_at: Date | null;
    }[] = await this.db.query(
      `SELECT k.id, k.user_id, u.email, k.organization_id, k.orbit_id, k.last_used_at
           FROM api_keys k JOIN users u ON u.id = k.user_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND NOT u.disabled`,
      [hashToken(token, this.key)],
    );
    const k = rows[0];
    if (!k) return null;
    if (
      !k.last_used_at ||
      Date.now() - new Date(k.last_used_at).getTime() > LAST_USED_RESOLUTION_MS
    ) {
      await this.db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [k.id]);
    }
    return {
      kind: 'user',
      userId: k.user_id,
      email: k.email,
      via: 'api_key',
      apiKey: { id: k.id, organizationId: k.organization_id, orbitId: k.orbit_id },
    };
  }

  async create(
    ctx: RequestContext,
    user: UserPrincipal,
    dto: ApiKeyCreateDto,
  ): Promise<ApiKeyCreatedDto> {
    let organizationId = dto.organizationId ?? null;
    const orbitId = dto.orbitId ?? null;
    if (orbitId) {
      const rows: { organization_id: string }[] = await this.db.query(
        'SELECT organization_id FROM orbits WHERE id = $1',
        [orbitId],
      );
      if (!rows[0] || (organizationId && rows[0].organization_id !== organizationId))
        throw new NotFound('Orbit', orbitId);
      organizationId = rows[0].organization_id;
      await this.access.orbit(ctx, organizationId, orbitId);
    } else if (organizationId) {
      await this.access.organization(ctx, organizationId);
    }
    if (dto.expiresAt && new Date(dto.expiresAt) <= new Date()) {
      throw new ValidationFailed('expiresAt must be in the future', [
        { field: 'expiresAt', problems: ['must be in the future'] },
      ]);
    }
    const key = generateToken(API_KEY_PREFIX);
    const row = await this.db.transaction(async (m) => {
      const r = await m.insert(ApiKey, {
        userId: user.userId,
        name: dto.name.trim(),
        prefix: key.slice(0, 8),
        keyHash: hashToken(key, this.key),
        organizationId,
        orbitId,
        expiresAt: dto.expiresAt ? new Date(dto.expiresAt) : null,
        lastUsedAt: null,
        revokedAt: null,
      });
      const id = r.identifiers[0]!.id as string;
      await this.audit.record(
        ctx,
        {
          action: 'api_key.create',
          resourceType: 'api_key',
          resourceId: id,
          organizationId,
          orbitId,
          details: { name: dto.name },
        },
        m,
      );
      return m.findOneByOrFail(ApiKey, { id });
    });
    return { ...toApiKeyResponse(row), key };
  }

  async list(user: UserPrincipal): Promise<ApiKeyResponseDto[]> {
    const rows = await this.db
      .getRepository(ApiKey)
      .find({ where: { userId: user.userId, revokedAt: IsNull() }, order: { createdAt: 'DESC' } });
    return rows.map(toApiKeyResponse);
  }

  async revoke(ctx: RequestContext, user: UserPrincipal, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const r = await m.update(
        ApiKey,
        { id, userId: user.userId, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if (!r.affected) throw new NotFound('API key', id);
      await this.audit.record(
        ctx,
        { action: 'api_key.revoke', resourceType: 'api_key', resourceId: id },
        m,
      );
    });
  }
}

function toApiKeyResponse(k: ApiKey): ApiKeyResponseDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    organizationId: k.organizationId,
    orbitId: k.orbitId,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    createdAt: k.createdAt.toISOString(),
  };
}
