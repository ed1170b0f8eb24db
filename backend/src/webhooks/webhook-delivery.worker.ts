import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decrypt, deriveKey } from '../common/crypto.js';
import { ensureError } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { guardedLookup, isPrivateAddress, parseWebhookUrl } from './url-guard.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

interface Claimed {
  id: string;
  organization_id: string;
  webhook_id: string;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  url: string | null;
  secret_encrypted: string | null;
  enabled: boolean | null;
  allow_private: boolean | null;
}

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

const IDLE_POLL_MS = 500;
const BATCH = 10;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * The in-process delivery worker. Any number of API instances run one; each claims due deliveries
 * with `FOR UPDATE SKIP LOCKED` under a lease, POSTs them signed, logs every attempt and schedules
 * retries with exponential backoff and jitter. A delivery is re-sent only after a non-2xx answer or
 * no answer, so a receiver sees each event succeed once (deduplicate on `Apogee-Delivery` to be
 * safe against a crash between its 2xx and our bookkeeping).
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly key: Buffer;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private again = false;
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.key = deriveKey(config.secretKey, 'webhooks');
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(IDLE_POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
  }

  /** Runs a pass shortly: after an emit, whose transaction should have committed by then. */
  kickSoon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(20);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.loop = this.pass();
    }, ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    let claimed = 0;
    try {
      claimed = await this.runOnce();
    } catch (e) {
      if (!this.stopped) this.logger.warn(`delivery pass failed: ${ensureError(e).message}`);
    } finally {
      this.running = false;
    }
    const busy = claimed >= BATCH || this.again;
    this.again = false;
    this.schedule(busy ? 0 : IDLE_POLL_MS);
  }

  /** Claims and delivers one batch; answers how many deliveries it claimed. */
  async runOnce(): Promise<number> {
    const leaseMs = this.config.webhooksTimeoutMs * 3;
    const rows: Claimed[] = await this.db.query(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
          WHERE status IN ('pending', 'delivering') AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
          ORDER BY next_attempt_at LIMIT $1
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d
            SET status = 'delivering', attempts = d.attempts + 1, locked_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.organization_id, d.webhook_id, d.event, d.payload, d.attempts, d.max_attempts, d.created_at
       )
       SELECT c.*, w.url, w.secret_encrypted, w.enabled, s.allow_private_networks AS allow_private
         FROM claimed c
         LEFT JOIN webhooks w ON w.id = c.webhook_id
         LEFT JOIN webhook_settings s ON s.organization_id = c.organization_id`,
      [BATCH, leaseMs],
    );
    await Promise.all(rows.map((r) => this.deliver(r)));
    return rows.length;
  }

  private async deliver(d: Claimed): Promise<void> {
    if (!d.url || !d.secret_encrypted || !d.enabled) {
      await this.finish(
        d,
        { statusCode: null, error: d.url ? 'webhook disabled' : 'webhook deleted', latencyMs: 0 },
        true,
      );
      return;
    }
    const body = JSON.stringify({
      id: d.id,
      event: d.event,
      createdAt: new Date(d.created_at).toISOString(),
      ...d.payload,
    });
    let result: AttemptResult;
    try {
      const secret = decrypt(d.secret_encrypted, this.key);
      result = await this.post(
        d.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'Apogee-Webhooks/1',
          'apogee-event': d.event,
          'apogee-delivery': d.id,
          'apogee-webhook-id': d.webhook_id,
          [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(secret, body),
        },
        this.config.webhooksAllowPrivate || Boolean(d.allow_private),
      );
    } catch (e) {
      result = { statusCode: null, error: ensureError(e).message.slice(0, 2000), latencyMs: 0 };
    }
    await this.finish(d, result, false);
  }

  private async finish(d: Claimed, r: AttemptResult, terminal: boolean): Promise<void> {
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const giveUp = terminal || (!ok && d.attempts >= d.max_attempts);
    const backoff = Math.min(
      MAX_BACKOFF_MS,
      this.config.webhooksRetryBaseMs * 2 ** (d.attempts - 1),
    );
    const delayMs = Math.round(backoff * (0.8 + Math.random() * 0.4));
    await this.db.transaction(async (m) => {
      await m.query(
        'INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, error, latency_ms) VALUES ($1, $2, $3, $4, $5)',
        [d.id, d.attempts, r.statusCode, r.error, r.latencyMs],
      );
      await m.query(
        `UPDATE webhook_deliveries
            SET status = $2::varchar, last_status_code = $3, last_error = $4, locked_until = NULL, updated_at = now(),
                delivered_at = CASE WHEN $2::varchar = 'succeeded' THEN now() ELSE NULL END,
                next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
          WHERE id = $1`,
        [
          d.id,
          ok ? 'succeeded' : giveUp ? 'failed' : 'pending',
          r.statusCode,
          r.error,
          ok || giveUp ? 0 : delayMs,
        ],
      );
    });
  }

  private post(
    rawUrl: string,
    body: string,
    headers: Record<string, string>,
    allowPrivate: boolean,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const u = parseWebhookUrl(rawUrl);
    if (typeof u === 'string') return Promise.resolve({ statusCode: null, error: u, latencyMs: 0 });
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivate && net.isIP(host) && isPrivateAddress(host)) {
      return Promise.resolve({
        statusCode: null,
        error: `${host} is a private address; deliveries there are not allowed`,
        latencyMs: 0,
      });
    }
    const client = u.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      const req = client.request(
        u,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: this.config.webhooksTimeoutMs,
          lookup: guardedLookup(allowPrivate),
          agent: false,
        },
        (res) => {
          // The body is not needed; read at most a little of it so the socket can close.
          res.resume();
          res.on('end', () =>
            resolve({ statusCode: res.statusCode ?? null, error: null, latencyMs: elapsed() }),
          );
          res.on('error', (e) =>
            resolve({ statusCode: res.statusCode ?? null, error: e.message, latencyMs: elapsed() }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`no response within ${this.config.webhooksTimeoutMs} ms`)),
      );
      req.on('error', (e) =>
        resolve({ statusCode: null, error: e.message.slice(0, 2000), latencyMs: elapsed() }),
      );
      req.end(body);
    });
  }
}
