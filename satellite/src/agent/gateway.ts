import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { isTransient } from './platform-client.js';

const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'cookie',
]);
const ROUTE = /^\/deployments\/([0-9a-f-]{36})(\/[^?]*)?(\?.*)?$/i;

export interface GatewayOptions {
  host: string;
  port: number;
  log: Logger;
  /** May this bearer token call this deployment? (cached by the caller). */
  authorize(token: string, deploymentId: string): Promise<boolean>;
  /** Base URL of the model server of a deployment running here, or null. */
  target(deploymentId: string): string | null;
  /** What `/healthz` reports. */
  status(): Record<string, unknown>;
}

/**
 * The satellite's inference entry point: `/deployments/{id}/{path}` → the model server of that
 * deployment, for callers whose token the platform allows (cached). Bodies and answers stream
 * through (SSE included). `GET /healthz` tells whether the agent is up.
 */
export class Gateway {
  private server: http.Server | null = null;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  port = 0;

  constructor(private readonly opts: GatewayOptions) {}

  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.opts.log.error('gateway request failed', { err: ensureError(e) });
        if (!res.headersSent)
          send(res, 500, 'internal', 'The satellite failed to handle the request');
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    this.agent.destroy();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === '/healthz' && req.method === 'GET') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', ...this.opts.status() }));
      return;
    }
    const m = ROUTE.exec(url);
    if (!m) return send(res, 404, 'not_found', `No route for ${req.method} ${url}`);
    const [, deploymentId, rest = '/', query = ''] = m as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth)
      return send(res, 401, 'unauthenticated', 'Send your Apogee API key as Authorization: Bearer');
    let allowed: boolean;
    try {
      allowed = await this.opts.authorize(auth[1]!, deploymentId);
    } catch (e) {
      if (isTransient(e))
        return send(
          res,
          503,
          'platform_unreachable',
          'The satellite cannot check your key with the platform right now',
        );
      throw e;
    }
    if (!allowed) return send(res, 403, 'forbidden', 'This key may not call this deployment');
    const base = this.opts.target(deploymentId);
    if (!base)
      return send(
        res,
        503,
        'deployment_not_running',
        `Deployment ${deploymentId} is not running on this satellite`,
      );
    this.forward(req, res, new URL(base + rest + query));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, target: URL): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    const upstream = http.request(target, { method: req.method, headers, agent: this.agent });
    upstream.on('response', (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers))
        if (!HOP_HEADERS.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      res.flushHeaders();
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      if (res.headersSent) res.destroy();
      else send(res, 502, 'model_unreachable', `The model server did not answer: ${e.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

function send(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ code, message }));
}
