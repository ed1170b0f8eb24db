import { readEnv, isNode } from './core/env.js';
import { ApogeeError } from './core/errors.js';
import {
  HttpCore,
  type QueryValue,
  type RequestOptions,
  type SendOptions,
  type HttpResponse,
} from './core/http.js';
import { PagePromise, type PageResponse } from './core/pagination.js';
import { ApiKeys } from './resources/api-keys.js';
import { Artifacts } from './resources/artifacts.js';
import { AuditEvents } from './resources/audit-events.js';
import { Auth } from './resources/auth.js';
import { Collections } from './resources/collections.js';
import { Deployments } from './resources/deployments.js';
import { Invitations } from './resources/invitations.js';
import { Orbits } from './resources/orbits.js';
import { Organizations } from './resources/organizations.js';
import { Satellites } from './resources/satellites.js';
import { Secrets } from './resources/secrets.js';
import { Tracks } from './resources/tracks.js';
import { Users } from './resources/users.js';
import { Webhooks } from './resources/webhooks.js';
import { Models } from './resources/models.js';
import { VERSION } from './version.js';

/** The API a client talks to when neither `baseURL` nor `APOGEE_BASE_URL` says otherwise. */
export const DEFAULT_BASE_URL = 'http://localhost:8080';
/** Default request timeout: 60 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Default number of retries after the first attempt. */
export const DEFAULT_MAX_RETRIES = 2;

/** Options of {@link Apogee}. Every one is optional. */
export interface ClientOptions {
  /**
   * API key (`apg_…`) or a session access token, sent as `Authorization: Bearer`.
   * Defaults to the `APOGEE_API_KEY` environment variable; `null` sends no credentials
   * (for `auth.signup`/`auth.signin`).
   */
  apiKey?: string | null;
  /**
   * Base URL of the Apogee API, without `/v1`. Defaults to the `APOGEE_BASE_URL` environment
   * variable, else `http://localhost:8080`.
   */
  baseURL?: string;
  /**
   * Per-request timeout in milliseconds. Default 60 000 (60 s). For transfers it bounds each
   * part request, not the whole file.
   */
  timeout?: number;
  /**
   * How many times a failed request is retried (with exponential backoff and jitter, honouring
   * `Retry-After`). Default 2.
   */
  maxRetries?: number;
  /**
   * A `fetch` implementation to send requests with (axios's fetch adapter). Default: axios's
   * own adapter (XMLHttpRequest in browsers, `node:http` in Node), which is what reports upload
   * progress in browsers.
   */
  fetch?: typeof fetch;
  /** Headers sent with every API request (not with presigned storage URLs). */
  defaultHeaders?: Record<string, string>;
}

/**
 * The Apogee API client.
 *
 * ```ts
 * import { Apogee } from '@apogee/sdk';
 * const client = new Apogee(); // APOGEE_API_KEY, APOGEE_BASE_URL
 * for await (const a of client.artifacts.list(org, orbit, { sort: 'metrics.accuracy', order: 'desc' })) {
 *   console.log(a.name, a.metrics.accuracy);
 * }
 * ```
 */
export class Apogee {
  /** The credentials sent as `Authorization: Bearer`; assign a session's `accessToken` to switch. */
  apiKey: string | null;
  /** Base URL of the API, without a trailing slash. */
  readonly baseURL: string;
  /** Request timeout, in milliseconds. */
  readonly timeout: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;

  /** Sign-up, sign-in and sessions. */
  readonly auth: Auth;
  /** The signed-in user. */
  readonly users: Users;
  /** The signed-in user's API keys. */
  readonly apiKeys: ApiKeys;
  /** Invitations addressed to the signed-in user. */
  readonly invitations: Invitations;
  /** Organizations, their members and invitations. */
  readonly organizations: Organizations;
  /** Orbits (workspaces) and their members. */
  readonly orbits: Orbits;
  /** Collections of artifacts in an orbit. */
  readonly collections: Collections;
  /** Artifacts: metadata, uploads and downloads. */
  readonly artifacts: Artifacts;
  /** Orbit secrets. */
  readonly secrets: Secrets;
  /** An organization's audit log. */
  readonly auditEvents: AuditEvents;
  /** Tracks (registered models): versions, aliases, rules, history, cards; lineage, compare, search. */
  readonly tracks: Tracks;
  /** Orbit webhooks, their deliveries and the organization's webhook settings. */
  readonly webhooks: Webhooks;
  /** Models of an orbit (base models loaded by satellites, fine-tuned adapters), activation, gateway usage. */
  readonly models: Models;
  /** Satellites of an orbit (hosts that run deployments). */
  readonly satellites: Satellites;
  /** Deployments of an orbit: create, wait, predict, logs. */
  readonly deployments: Deployments;

  private readonly options: ClientOptions;
  private readonly http: HttpCore;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    this.apiKey =
      options.apiKey === undefined ? (readEnv('APOGEE_API_KEY') ?? null) : options.apiKey;
    this.baseURL = (options.baseURL ?? readEnv('APOGEE_BASE_URL') ?? DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    );
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!/^https?:\/\//i.test(this.baseURL)) {
      throw new ApogeeError(`baseURL must start with http:// or https://, got "${this.baseURL}"`);
    }
    this.http = new HttpCore({
      baseURL: this.baseURL,
      apiKey: () => this.apiKey,
      timeout: this.timeout,
      maxRetries: this.maxRetries,
      fetch: options.fetch,
      defaultHeaders: options.defaultHeaders,
      userAgent: isNode() ? `apogee-sdk/${VERSION} node/${nodeVersion()}` : undefined,
    });
    this.auth = new Auth(this);
    this.users = new Users(this);
    this.apiKeys = new ApiKeys(this);
    this.invitations = new Invitations(this);
    this.organizations = new Organizations(this);
    this.orbits = new Orbits(this);
    this.collections = new Collections(this);
    this.artifacts = new Artifacts(this);
    this.secrets = new Secrets(this);
    this.auditEvents = new AuditEvents(this);
    this.tracks = new Tracks(this);
    this.webhooks = new Webhooks(this);
    this.models = new Models(this);
    this.satellites = new Satellites(this);
    this.deployments = new Deployments(this);
  }

  /** A new client with these options changed and the rest kept, e.g. another `apiKey`. */
  withOptions(options: ClientOptions): Apogee {
    return new Apogee({
      ...this.options,
      apiKey: this.apiKey,
      baseURL: this.baseURL,
      timeout: this.timeout,
      maxRetries: this.maxRetries,
      ...options,
    });
  }

  /** `GET path`, answering the parsed JSON body. For routes the resources do not cover yet. */
  get<T>(
    path: string,
    opts: RequestOptions & { query?: Record<string, QueryValue> } = {},
  ): Promise<T> {
    return this.json<T>({ ...opts, method: 'GET', url: path });
  }

  /** `POST path` with a JSON body. */
  post<T>(
    path: string,
    body?: unknown,
    opts: RequestOptions & { idempotent?: boolean } = {},
  ): Promise<T> {
    return this.json<T>({ ...opts, method: 'POST', url: path, body });
  }

  /** `PATCH path` with a JSON body. */
  patch<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>({ ...opts, method: 'PATCH', url: path, body });
  }

  /** `PUT path` with a JSON body. */
  put<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>({ ...opts, method: 'PUT', url: path, body });
  }

  /** `DELETE path`. */
  delete<T = void>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>({ ...opts, method: 'DELETE', url: path });
  }

  /**
   * A paginated `GET`: `await` it for the first page, `for await` it for every item. Routes that
   * answer a plain array (short lists) read as a single page.
   */
  getList<T>(
    path: string,
    query: Record<string, QueryValue> = {},
    opts: RequestOptions = {},
  ): PagePromise<T> {
    return new PagePromise<T>(async (cursor) => {
      const res = await this.get<PageResponse<T> | T[]>(path, {
        ...opts,
        query: { ...query, cursor: cursor ?? query.cursor },
      });
      return Array.isArray(res) ? { items: res, nextCursor: null } : res;
    });
  }

  /**
   * Sends a request with full control (absolute URLs, streams, progress). Low level: used by
   * transfers; prefer the resources.
   */
  request<T>(opts: SendOptions): Promise<HttpResponse<T>> {
    return this.http.send<T>(opts);
  }

  private async json<T>(opts: SendOptions): Promise<T> {
    const res = await this.http.send<T>(opts);
    // 204 and empty bodies come back as '' from axios; callers typed `void` get undefined.
    return (res.data === '' ? undefined : res.data) as T;
  }
}

function nodeVersion(): string {
  return (
    (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ?? ''
  );
}
