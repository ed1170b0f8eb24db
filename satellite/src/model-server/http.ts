import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  BodyTooLarge,
  HttpError,
  InvalidRequest,
  RouteNotFound,
  ensureError,
} from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** What a route handler gets for one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  requestId: string;
  /** Aborted when the client goes away before the response is finished. */
  signal: AbortSignal;
  log: Logger;
  /** Reads and parses the JSON body (at most `maxBodyBytes`). */
  json(): Promise<unknown>;
}

/**
 * A route handler. A returned value is sent as JSON with status 200; a handler that writes the
 * response itself (server-sent events) returns `undefined`.
 */
export type Handler = (ctx: RequestContext) => Promise<unknown> | unknown;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/** A tiny router: exact paths and `:param` segments, JSON in and out, typed errors mapped to statuses. */
export class Router {
  private readonly routes: Route[] = [];

  /** Called when no route matches a path; throws the error to answer with. Default: 404. */
  onUnmatched: (method: string, path: string) => never = (method, path) => {
    throw new RouteNotFound(method, path);
  };

  constructor(
    private readonly log: Logger,
    private readonly maxBodyBytes: number,
  ) {}

  /** Registers `handler` for `method` on `pattern` (`/v1/models/:id`). */
  on(method: 'GET' | 'POST', pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The `node:http` request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    void this.handle(req, res);
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = headerValue(req, 'x-request-id') ?? randomUUID();
    const url = new URL(req.url ?? '/', 'http://model-server');
    const log = this.log.child({ requestId });
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
    });
    res.setHeader('x-request-id', requestId);
    try {
      const { route, params } = this.match(req.method ?? 'GET', url.pathname);
      const ctx: RequestContext = {
        req,
        res,
        url,
        params,
        requestId,
        signal: abort.signal,
        log,
        json: () => readJsonBody(req, this.maxBodyBytes),
      };
      const result = await route.handler(ctx);
      if (result !== undefined && !res.headersSent) sendJson(res, 200, result);
    } catch (e) {
      const error = ensureError(e);
      if (abort.signal.aborted) {
        // The client went away (a closed stream, a request given up while queued): no one to answer.
        log.info('client closed the connection', { path: url.pathname, reason: error.message });
        if (!res.writableEnded) res.end();
      } else if (error instanceof HttpError) {
        if (error.status >= 500 && error.status !== 503)
          log.error('request failed', { err: error });
        writeError(
          res,
          error.status,
          error.code,
          error.message,
          error instanceof InvalidRequest ? error.param : undefined,
        );
      } else {
        log.error('unexpected error', { err: error, stack: error.stack });
        writeError(res, 500, 'internal_error', 'Internal error');
      }
    } finally {
      const level = url.pathname === '/healthz' ? 'debug' : 'info';
      log[level]('request', {
        method: req.method,
        path: url.pathname,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      });
    }
  }

  private match(
    method: string,
    pathname: string,
  ): { route: Route; params: Record<string, string> } {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((seg, i) => {
        if (seg.startsWith(':')) {
          params[seg.slice(1)] = decodeURIComponent(parts[i]!);
          return true;
        }
        return seg === parts[i];
      });
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method) return { route, params };
    }
    if (pathMatched)
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${pathname}`);
    return this.onUnmatched(method, pathname);
  }
}

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends an OpenAI-shaped error body `{ error: { message, type, code, param } }`. */
function writeError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  param?: string,
): void {
  if (res.headersSent) {
    // A streaming response already started: report in-band and close.
    if (!res.writableEnded)
      res.end(`data: ${JSON.stringify({ error: { message, type: code, code } })}\n\n`);
    return;
  }
  sendJson(res, status, {
    error: {
      message,
      type: status < 500 ? 'invalid_request_error' : 'server_error',
      code,
      param: param ?? null,
    },
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a request body of at most `limit` bytes and parses it as JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new InvalidRequest('Request body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidRequest(`Request body is not valid JSON: ${ensureError(e).message}`);
  }
}

/** Opens a server-sent events response and returns a writer for `data:` events. */
export function openEventStream(res: ServerResponse): { send(data: unknown): void; done(): void } {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  return {
    send(data) {
      if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    done() {
      if (!res.writableEnded && !res.destroyed) res.end('data: [DONE]\n\n');
    },
  };
}

/** Checks that `value` is a plain object (for request bodies). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
