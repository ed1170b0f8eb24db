import axios, {
  AxiosError,
  type AxiosInstance,
  type AxiosProgressEvent,
  type AxiosRequestConfig,
  type AxiosResponse,
} from 'axios';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ApogeeError,
  type Headers,
} from './errors.js';
import { IDEMPOTENT_METHODS, retryDelayMs, shouldRetry, type AttemptFailure } from './retry.js';
import { sleep } from './sleep.js';

/** A query string value; arrays are sent as repeated keys (`tag=a&tag=b`). */
export type QueryValue =
  string | number | boolean | null | undefined | readonly (string | number | boolean)[];

/** Options one request accepts, on top of the client's. */
export interface RequestOptions {
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
  /** Overrides the client's `timeout` for this request, in milliseconds. */
  timeout?: number;
  /** Overrides the client's `maxRetries` for this request. */
  maxRetries?: number;
  /** Extra headers for this request. */
  headers?: Record<string, string>;
}

/** Everything {@link HttpCore.send} needs to make one logical request. */
export interface SendOptions extends RequestOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under `baseURL`, or an absolute URL (presigned storage URLs). */
  url: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Send `Authorization: Bearer <apiKey>`; off for presigned URLs, which carry their own. */
  auth?: boolean;
  /**
   * Treat the request as idempotent for retries, e.g. a POST that only presigns URLs.
   * Defaults from the method.
   */
  idempotent?: boolean;
  /** `json` (default), `text`, or `stream` (a Node readable / web stream, for downloads). */
  responseType?: 'json' | 'text' | 'stream';
  onUploadProgress?: (e: AxiosProgressEvent) => void;
  onDownloadProgress?: (e: AxiosProgressEvent) => void;
  /**
   * Called before each attempt for a fresh body (a consumed stream cannot be sent twice),
   * with any headers it needs such as `Content-Length`. Takes precedence over `body`.
   */
  bodyFactory?: () => { data: unknown; headers?: Record<string, string> };
}

/** A successful response. */
export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** Settings of the HTTP core; owned by the client. */
export interface HttpCoreSettings {
  baseURL: string;
  apiKey: () => string | null;
  timeout: number;
  maxRetries: number;
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
  userAgent?: string;
}

/**
 * Sends requests with axios, maps failures onto the SDK's error classes and retries what is
 * safe to retry. Internal: resources and transfers use it through the client.
 */
export class HttpCore {
  private readonly axios: AxiosInstance;

  constructor(private readonly settings: HttpCoreSettings) {
    this.axios = axios.create({
      validateStatus: () => true,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      ...(settings.fetch ? { adapter: 'fetch' as const, env: { fetch: settings.fetch } } : {}),
    });
  }

  /** Sends a request, retrying per the rules in `retry.ts`; throws an `ApogeeError` on failure. */
  async send<T>(opts: SendOptions): Promise<HttpResponse<T>> {
    const maxRetries = opts.maxRetries ?? this.settings.maxRetries;
    const idempotent = opts.idempotent ?? IDEMPOTENT_METHODS.has(opts.method);
    for (let attempt = 0; ; attempt++) {
      let failure: AttemptFailure;
      let error: ApogeeError;
      try {
        const res = await this.axios.request(this.config(opts));
        const headers = normalizeHeaders(res);
        if (res.status >= 200 && res.status < 300) {
          return { status: res.status, headers, data: res.data as T };
        }
        const body = opts.responseType === 'stream' ? await drain(res.data) : res.data;
        error = APIError.generate(res.status, body, headers);
        failure = { kind: 'status', status: res.status, headers };
      } catch (e) {
        error = toConnectionError(e, opts.signal);
        if (error instanceof APIUserAbortError) throw error;
        failure =
          error instanceof APITimeoutError
            ? { kind: 'timeout' }
            : { kind: 'connection', errorCode: (error as APIConnectionError).errorCode };
      }
      if (attempt >= maxRetries || !shouldRetry(failure, idempotent)) throw error;
      const headers = failure.kind === 'status' ? failure.headers : {};
      await sleep(retryDelayMs(attempt + 1, headers), opts.signal);
    }
  }

  private config(opts: SendOptions): AxiosRequestConfig {
    const absolute = /^https?:\/\//i.test(opts.url);
    const fresh = opts.bodyFactory?.();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (!absolute) Object.assign(headers, this.settings.defaultHeaders);
    if (this.settings.userAgent) headers['User-Agent'] = this.settings.userAgent;
    const key = opts.auth === false ? null : this.settings.apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    Object.assign(headers, opts.headers, fresh?.headers);
    const data = fresh ? fresh.data : opts.body;
    return {
      method: opts.method,
      url: absolute ? opts.url : joinURL(this.settings.baseURL, opts.url),
      params: opts.query,
      paramsSerializer: { serialize: serializeQuery },
      data,
      headers,
      timeout: opts.timeout ?? this.settings.timeout,
      signal: opts.signal,
      responseType: opts.responseType ?? 'json',
      onUploadProgress: opts.onUploadProgress,
      onDownloadProgress: opts.onDownloadProgress,
      // The API's own redirects (download → presigned URL) must not forward our bearer token.
      maxRedirects: opts.auth === false ? 5 : 0,
    };
  }
}

/** Serialises a query object; `undefined`/`null` values are left out, arrays repeat the key. */
export function serializeQuery(query: Record<string, QueryValue> | undefined): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) out.append(k, String(item));
    else out.append(k, String(v));
  }
  return out.toString();
}

/** Encodes each interpolated value as one path segment: `path\`/v1/organizations/${org}\``. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((acc, s, i) => {
    if (i === 0) return s;
    const v = values[i - 1];
    if (v === undefined || v === '') throw new ApogeeError(`Missing path parameter before "${s}"`);
    return acc + encodeURIComponent(String(v)) + s;
  }, '');
}

function joinURL(base: string, p: string): string {
  return base.replace(/\/+$/, '') + (p.startsWith('/') ? p : `/${p}`);
}

function normalizeHeaders(res: AxiosResponse): Headers {
  const out: Headers = {};
  const raw = res.headers as unknown as { toJSON?: () => Record<string, unknown> } & Record<
    string,
    unknown
  >;
  const obj = typeof raw.toJSON === 'function' ? raw.toJSON() : raw;
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

async function drain(stream: unknown): Promise<string> {
  if (stream && typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const c of stream as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof c === 'string' ? new TextEncoder().encode(c) : c;
      // An error body is small; cap it so a misbehaving server cannot fill memory.
      if (size < 65536) chunks.push(bytes);
      size += bytes.length;
    }
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }
  return typeof stream === 'string' ? stream : '';
}

const CONNECTION_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
];

/** Maps whatever axios threw onto the SDK's connection, timeout and abort errors. */
function toConnectionError(e: unknown, signal: AbortSignal | undefined): ApogeeError {
  if (e instanceof ApogeeError) return e;
  if (signal?.aborted || axios.isCancel(e)) return new APIUserAbortError(undefined, { cause: e });
  if (e instanceof AxiosError) {
    if (e.code === AxiosError.ECONNABORTED || e.code === AxiosError.ETIMEDOUT) {
      return new APITimeoutError(undefined, { cause: e });
    }
    const code = findCode(e);
    return new APIConnectionError(`Connection error: ${code ?? e.message}`, {
      cause: e,
      errorCode: code,
    });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return new APIConnectionError(`Connection error: ${err.message}`, {
    cause: err,
    errorCode: findCode(err),
  });
}

/** Finds an errno-style code (ECONNREFUSED…) on an error or down its `cause` chain. */
function findCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.includes(code)) return code;
    const errors = (cur as { errors?: unknown[] }).errors;
    if (Array.isArray(errors))
      for (const inner of errors) {
        const c = findCode(inner);
        if (c) return c;
      }
    cur = (cur as { cause?: unknown }).cause;
  }
  const top = (e as { code?: unknown })?.code;
  return typeof top === 'string' ? top : undefined;
}
