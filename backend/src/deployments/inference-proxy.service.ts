import http from 'node:http';
import https from 'node:https';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { bearerToken } from '../common/auth/auth.guard.js';

/** Request headers that describe one hop, not the request (RFC 9110 §7.6.1), plus ones we set. */
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
  'cookie',
  'authorization',
]);

/** Longest the upstream may take to answer (headers), ms; streams may then run as long as they run. */
const UPSTREAM_HEADERS_TIMEOUT_MS = 120_000;

/** Streaming paths whose bodies the API must not parse (see app.factory's JSON parser). */
export const STREAMED_BODY_PATH =
  /^\/v1\/organizations\/[^/]+\/orbits\/[^/]+\/deployments\/[^/]+\/(predict|proxy)(\/|$)/;

/**
 * Pipes a request to a deployment's inference URL and the answer back, without buffering either
 * (SSE streams flow through as they are produced). The caller's own credentials go along: the
 * satellite checks them with the platform (cached briefly), so a revoked key stops working there too.
 */
@Injectable()
export class InferenceProxy implements OnModuleDestroy {
  private readonly log = new Logger('InferenceProxy');
  private readonly httpAgent = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    keepAliveMsecs: 30_000,
  });
  private readonly httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 256,
    keepAliveMsecs: 30_000,
  });

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Forwards `req` to `${base}${path}` (path with its query string) and streams the answer into `res`. */
  forward(req: Request, res: Response, base: string, path: string): void {
    const target = new URL(base.replace(/\/+$/, '') + path);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    const token = bearerToken(req);
    if (token) headers.authorization = `Bearer ${token}`;
    headers['x-request-id'] = String(req.id ?? '');
    headers['x-forwarded-for'] = req.ip ?? '';
    const isHttps = target.protocol === 'https:';
    const upstream = (isHttps ? https : http).request(target, {
      method: req.method,
      headers,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
    });
    upstream.setTimeout(UPSTREAM_HEADERS_TIMEOUT_MS, () =>
      upstream.destroy(new Error('upstream timed out')),
    );
    upstream.on('response', (up) => {
      upstream.setTimeout(0);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers))
        if (!HOP_HEADERS.has(k) && k !== 'set-cookie' && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      // SSE: send each chunk as soon as it arrives.
      res.flushHeaders();
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      this.log.warn(`Upstream ${target.origin} failed: ${e.message}`);
      res.status(502).json({
        code: 'deployment_unreachable',
        message: `The deployment did not answer: ${e.message}`,
        requestId: String(req.id ?? ''),
      });
    });
    // The caller hung up: stop the upstream work too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (req.method === 'GET' || req.method === 'HEAD') upstream.end();
    else req.pipe(upstream);
  }
}
