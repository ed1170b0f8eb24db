import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { PageParams } from '../types.js';
import { APIResource } from './resource.js';

export type WebhookEvent =
  | 'artifact.uploaded'
  | 'track.version_added'
  | 'track.alias_moved'
  | 'deployment.status_changed'
  | 'model.loaded';

export interface Webhook {
  id: string;
  organizationId: string;
  orbitId: string;
  name: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookCreated extends Webhook {
  /** Signing secret (`whsec_…`), shown only here. Verify `Apogee-Signature: t=…,v1=…` = HMAC-SHA256(secret, `${t}.${body}`). */
  secret: string;
}

export interface WebhookCreateParams {
  name: string;
  /** http(s) URL; loopback/private addresses are refused unless an admin allows them. */
  url: string;
  events: WebhookEvent[];
  enabled?: boolean;
}

export type WebhookUpdateParams = Partial<WebhookCreateParams>;

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: string;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed';
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  payload: Record<string, unknown>;
  /** Every HTTP attempt: status code (null without a response), error, latency in ms. */
  attemptLog: {
    attempt: number;
    statusCode: number | null;
    error: string | null;
    latencyMs: number;
    createdAt: string;
  }[];
  createdAt: string;
}

/** Orbit webhooks: `/v1/organizations/{org}/orbits/{orbit}/webhooks`. */
export class Webhooks extends APIResource {
  private base(org: string, orbit: string, id?: string): string {
    return id
      ? path`/v1/organizations/${org}/orbits/${orbit}/webhooks/${id}`
      : path`/v1/organizations/${org}/orbits/${orbit}/webhooks`;
  }

  list(org: string, orbit: string, opts?: RequestOptions): Promise<Webhook[]> {
    return this._client.get(this.base(org, orbit), opts);
  }

  get(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<Webhook> {
    return this._client.get(this.base(org, orbit, id), opts);
  }

  /** Creates a webhook; the answer carries its secret, shown only once. */
  create(
    org: string,
    orbit: string,
    params: WebhookCreateParams,
    opts?: RequestOptions,
  ): Promise<WebhookCreated> {
    return this._client.post(this.base(org, orbit), params, opts);
  }

  update(
    org: string,
    orbit: string,
    id: string,
    params: WebhookUpdateParams,
    opts?: RequestOptions,
  ): Promise<Webhook> {
    return this._client.patch(this.base(org, orbit, id), params, opts);
  }

  async delete(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(this.base(org, orbit, id), opts);
  }

  /** Replaces the signing secret; the new one is answered once. */
  rotateSecret(
    org: string,
    orbit: string,
    id: string,
    opts?: RequestOptions,
  ): Promise<{ secret: string }> {
    return this._client.post(`${this.base(org, orbit, id)}/secret`, undefined, opts);
  }

  /** Queues a signed `webhook.test` delivery. */
  sendTest(
    org: string,
    orbit: string,
    id: string,
    opts?: RequestOptions,
  ): Promise<WebhookDelivery> {
    return this._client.post(`${this.base(org, orbit, id)}/test`, undefined, opts);
  }

  /** Deliveries, newest first, each with its attempt log. */
  deliveries(
    org: string,
    orbit: string,
    id: string,
    params: PageParams = {},
    opts?: RequestOptions,
  ): PagePromise<WebhookDelivery> {
    return this._client.getList(`${this.base(org, orbit, id)}/deliveries`, { ...params }, opts);
  }

  /** Whether this organization's webhooks may reach loopback/private addresses. */
  settings(org: string, opts?: RequestOptions): Promise<{ allowPrivateNetworks: boolean }> {
    return this._client.get(path`/v1/organizations/${org}/webhook-settings`, opts);
  }

  updateSettings(
    org: string,
    params: { allowPrivateNetworks: boolean },
    opts?: RequestOptions,
  ): Promise<{ allowPrivateNetworks: boolean }> {
    return this._client.put(path`/v1/organizations/${org}/webhook-settings`, params, opts);
  }
}
