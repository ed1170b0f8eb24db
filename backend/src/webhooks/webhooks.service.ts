import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { decrypt, deriveKey, encrypt } from '../common/crypto.js';
import { Conflict, NotFound, ValidationFailed, isUniqueViolation } from '../common/errors.js';
import { decodeCursor, encodeCursor, type Page, type PageQueryDto } from '../common/pagination.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type {
  DeliveredEvent,
  WebhookCreateDto,
  WebhookCreatedResponseDto,
  WebhookDeliveryResponseDto,
  WebhookEvent,
  WebhookResponseDto,
  WebhookSettingsDto,
  WebhookUpdateDto,
} from './dto/webhook.dto.js';
import { assertDestinationAllowed, DestinationRefused, parseWebhookUrl } from './url-guard.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';

interface WebhookRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  payload: Record<string, unknown>;
  created_at: Date;
  attempt_log: {
    attempt: number;
    status_code: number | null;
    error: string | null;
    latency_ms: number;
    created_at: string;
  }[];
}

const WEBHOOK_COLUMNS =
  'id, organization_id, orbit_id, name, url, events, enabled, created_at, updated_at';

/**
 * Orbit webhooks and the one way other modules announce events: {@link WebhooksService.emit}
 * queues a signed delivery per subscribed webhook, in the caller's transaction when given.
 */
@Injectable()
export class WebhooksService {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly worker: WebhookDeliveryWorker,
  ) {
    this.key = deriveKey(config.secretKey, 'webhooks');
  }

  /**
   * Queues `event` for every enabled webhook of the orbit subscribed to it. Pass the manager of
   * the transaction that makes the change, so the deliveries exist if and only if it commits.
   * Answers how many deliveries were queued.
   */
  async emit(
    ctx: RequestContext,
    orbitId: string,
    event: WebhookEvent,
    payload: Record<string, unknown>,
    manager: EntityManager = this.db.manager,
  ): Promise<number> {
    const hooks: { id: string; organization_id: string }[] = await manager.query(
      'SELECT id, organization_id FROM webhooks WHERE orbit_id = $1 AND enabled AND $2 = ANY(events)',
      [orbitId, event],
    );
    for (const h of hooks)
      await this.enqueue(manager, ctx, h.id, h.organization_id, orbitId, event, payload);
    if (hooks.length) this.worker.kickSoon();
    return hooks.length;
  }

  private async enqueue(
    m: EntityManager,
    ctx: RequestContext,
    webhookId: string,
    orgId: string,
    orbitId: string,
    event: DeliveredEvent,
    data: Record<string, unknown>,
  ): Promise<string> {
    const p = ctx.principal;
    const actor =
      p.kind === 'satellite'
        ? { type: 'satellite', id: p.satelliteId }
        : {
            type: p.email === 'system' ? 'system' : p.via === 'api_key' ? 'api_key' : 'user',
            id: p.userId,
            email: p.email,
          };
    const rows: { id: string }[] = await m.query(
      `INSERT INTO webhook_deliveries (organization_id, orbit_id, webhook_id, event, payload, max_attempts)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [
        orgId,
        orbitId,
        webhookId,
        event,
        JSON.stringify({ organizationId: orgId, orbitId, actor, data }),
        this.config.webhooksMaxAttempts,
      ],
    );
    return rows[0]!.id;
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    dto: WebhookCreateDto,
  ): Promise<WebhookCreatedResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'create']);
    const url = await this.checkUrl(orgId, dto.url);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const id = await this.db.transaction(async (m) => {
      try {
        const rows: { id: string }[] = await m.query(
          `INSERT INTO webhooks (organization_id, orbit_id, name, url, events, secret_encrypted, enabled, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
          [
            orgId,
            orbitId,
            dto.name.trim(),
            url,
            dto.events,
            encrypt(secret, this.key),
            dto.enabled ?? true,
            userIdOf(ctx),
          ],
        );
        const wid = rows[0]!.id;
        await this.audit.record(
          ctx,
          {
            action: 'webhook.create',
            resourceType: 'webhook',
            resourceId: wid,
            organizationId: orgId,
            orbitId,
            details: { name: dto.name, url, events: dto.events },
          },
          m,
        );
        return wid;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'webhook_name_taken',
            `A webhook named "${dto.name}" already exists in this orbit`,
          );
        throw e;
      }
    });
    return { ...(await this.fetch(orbitId, id)), secret };
  }

  async list(ctx: RequestContext, orgId: string, orbitId: string): Promise<WebhookResponseDto[]> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'list']);
    const rows: WebhookRow[] = await this.db.query(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE orbit_id = $1 ORDER BY name, id`,
      [orbitId],
    );
    return rows.map(toResponse);
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<WebhookResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'read']);
    return this.fetch(orbitId, id);
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: WebhookUpdateDto,
  ): Promise<WebhookResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'update']);
    await this.fetch(orbitId, id);
    const url = dto.url !== undefined ? await this.checkUrl(orgId, dto.url) : undefined;
    await this.db.transaction(async (m) => {
      try {
        await m.query(
          `UPDATE webhooks SET name = COALESCE($3, name), url = COALESCE($4, url), events = COALESCE($5, events),
                  enabled = COALESCE($6, enabled), updated_at = now()
            WHERE id = $1 AND orbit_id = $2`,
          [
            id,
            orbitId,
            dto.name?.trim() ?? null,
            url ?? null,
            dto.events ?? null,
            dto.enabled ?? null,
          ],
        );
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'webhook_name_taken',
            `A webhook named "${dto.name}" already exists in this orbit`,
          );
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'webhook.update',
          resourceType: 'webhook',
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

  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'delete']);
    await this.db.transaction(async (m) => {
      const [, affected] = (await m.query('DELETE FROM webhooks WHERE id = $1 AND orbit_id = $2', [
        id,
        orbitId,
      ])) as [unknown, number];
      if (!affected) throw new NotFound('Webhook', id);
      await this.audit.record(
        ctx,
        {
          action: 'webhook.delete',
          resourceType: 'webhook',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
  }

  async rotateSecret(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<{ secret: string }> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'update']);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    await this.db.transaction(async (m) => {
      const [, affected] = (await m.query(
        'UPDATE webhooks SET secret_encrypted = $3, updated_at = now() WHERE id = $1 AND orbit_id = $2',
        [id, orbitId, encrypt(secret, this.key)],
      )) as [unknown, number];
      if (!affected) throw new NotFound('Webhook', id);
      await this.audit.record(
        ctx,
        {
          action: 'webhook.rotate_secret',
          resourceType: 'webhook',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
    return { secret };
  }

  /** Queues a `webhook.test` delivery to this webhook alone, whatever its subscriptions. */
  async sendTest(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<WebhookDeliveryResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'update']);
    const hook = await this.fetch(orbitId, id);
    const deliveryId = await this.db.transaction(async (m) => {
      const did = await this.enqueue(m, ctx, id, orgId, orbitId, 'webhook.test', {
        webhookId: id,
        name: hook.name,
        message: 'This is a test delivery from Apogee.',
      });
      await this.audit.record(
        ctx,
        {
          action: 'webhook.test',
          resourceType: 'webhook',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { deliveryId: did },
        },
        m,
      );
      return did;
    });
    this.worker.kickSoon();
    return (await this.deliveries('d.id = $1', [deliveryId], 1))[0]!;
  }

  async listDeliveries(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    q: PageQueryDto,
  ): Promise<Page<WebhookDeliveryResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['webhook', 'read']);
    await this.fetch(orbitId, id);
    const limit = q.limit ?? 50;
    const scope = `deliveries:${id}`;
    const after = decodeCursor(q.cursor, scope) as [string, string] | null;
    const items = await this.deliveries(
      after
        ? 'd.webhook_id = $1 AND (d.created_at, d.id) < ($3::timestamptz, $4::uuid)'
        : 'd.webhook_id = $1',
      after ? [id, limit + 1, after[0], after[1]] : [id, limit + 1],
      null,
    );
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor:
        items.length > limit && last ? encodeCursor(scope, [last.createdAt, last.id]) : null,
    };
  }

  async getSettings(ctx: RequestContext, orgId: string): Promise<WebhookSettingsDto> {
    await this.access.organization(ctx, orgId, ['organization', 'read']);
    return { allowPrivateNetworks: await this.allowPrivate(orgId) };
  }

  async putSettings(
    ctx: RequestContext,
    orgId: string,
    dto: WebhookSettingsDto,
  ): Promise<WebhookSettingsDto> {
    await this.access.organization(ctx, orgId, ['organization', 'update']);
    await this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO webhook_settings (organization_id, allow_private_networks) VALUES ($1, $2)
         ON CONFLICT (organization_id) DO UPDATE SET allow_private_networks = $2, updated_at = now()`,
        [orgId, dto.allowPrivateNetworks],
      );
      await this.audit.record(
        ctx,
        {
          action: 'webhook_settings.update',
          resourceType: 'organization',
          resourceId: orgId,
          organizationId: orgId,
          details: { ...dto },
        },
        m,
      );
    });
    return { allowPrivateNetworks: await this.allowPrivate(orgId) };
  }

  /** Whether deliveries of this organization may reach private addresses (config or org setting). */
  async allowPrivate(orgId: string): Promise<boolean> {
    if (this.config.webhooksAllowPrivate) return true;
    const rows: { allow_private_networks: boolean }[] = await this.db.query(
      'SELECT allow_private_networks FROM webhook_settings WHERE organization_id = $1',
      [orgId],
    );
    return rows[0]?.allow_private_networks ?? false;
  }

  /** The plaintext secret of a webhook, for the worker only. */
  secretOf(sealed: string): string {
    return decrypt(sealed, this.key);
  }

  private async checkUrl(orgId: string, raw: string): Promise<string> {
    const parsed = parseWebhookUrl(raw.trim());
    if (typeof parsed === 'string')
      throw new ValidationFailed(`Invalid request: url: ${parsed}`, [
        { field: 'url', problems: [parsed] },
      ]);
    try {
      await assertDestinationAllowed(parsed, await this.allowPrivate(orgId));
    } catch (e) {
      if (e instanceof DestinationRefused) {
        const msg = `${e.message}; deliveries to loopback and private networks are refused unless an admin allows them`;
        throw new ValidationFailed(`Invalid request: url: ${msg}`, [
          { field: 'url', problems: [msg] },
        ]);
      }
      throw e;
    }
    return parsed.toString();
  }

  private async fetch(orbitId: string, id: string): Promise<WebhookResponseDto> {
    const rows: WebhookRow[] = await this.db.query(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND orbit_id = $2`,
      [id, orbitId],
    );
    if (!rows[0]) throw new NotFound('Webhook', id);
    return toResponse(rows[0]);
  }

  private async deliveries(
    where: string,
    params: unknown[],
    limit: number | null,
  ): Promise<WebhookDeliveryResponseDto[]> {
    const limitSql = limit === null ? 'LIMIT $2' : `LIMIT ${limit}`;
    const rows: DeliveryRow[] = await this.db.query(
      `SELECT d.id, d.webhook_id, d.event, d.status, d.attempts, d.max_attempts, d.next_attempt_at, d.last_status_code, d.last_error,
              d.delivered_at, d.payload, d.created_at,
              COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'status_code', a.status_code, 'error', a.error,
                                                          'latency_ms', a.latency_ms, 'created_at', a.created_at) ORDER BY a.attempt)
                          FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_log
         FROM webhook_deliveries d WHERE ${where} ORDER BY d.created_at DESC, d.id DESC ${limitSql}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      event: r.event,
      status: r.status,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      nextAttemptAt:
        r.status === 'pending' && r.next_attempt_at
          ? new Date(r.next_attempt_at).toISOString()
          : null,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
      payload: r.payload,
      attemptLog: r.attempt_log.map((a) => ({
        attempt: a.attempt,
        statusCode: a.status_code,
        error: a.error,
        latencyMs: a.latency_ms,
        createdAt: new Date(a.created_at).toISOString(),
      })),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}

function userIdOf(ctx: RequestContext): string | null {
  return ctx.principal.kind === 'user' && ctx.principal.email !== 'system'
    ? ctx.principal.userId
    : null;
}

function toResponse(r: WebhookRow): WebhookResponseDto {
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    name: r.name,
    url: r.url,
    events: r.events,
    enabled: r.enabled,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
