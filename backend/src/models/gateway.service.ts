import http from 'node:http';
import https from 'node:https';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { bearerToken } from '../common/auth/auth.guard.js';
import type { RequestContext } from '../common/auth/principal.js';
import { DomainError, ServiceUnavailable, ValidationFailed } from '../common/errors.js';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { ModelNotActive } from './model-errors.js';
import { ModelsService, type ModelRoute } from './models.service.js';
import { OpenAiScope } from './openai-scope.js';

export type GatewayEndpoint = 'chat/completions' | 'completions' | 'embeddings';

/** Longest a request waits for a model that is being activated, ms. */
const ACTIVATION_WAIT_MS = 180_000;
/** How long the deployments serving a model are reused without asking the database, ms. */
const TARGET_CACHE_MS = 2_000;
const UPSTREAM_HEADERS_TIMEOUT_MS = 300_000;
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'te',
  'trailer',
  'upgrade',
  'set-cookie',
]);
/** Bytes of a non-streamed answer kept to read its `usage`. */
const USAGE_PEEK_BYTES = 1 << 20;

/**
 * The OpenAI-compatible gateway: finds the caller's model (their tenant and orbit only), picks an
 * active deployment of it (activating it on demand when its config allows, and waiting), and
 * proxies the request there. Answers, SSE streams included, pass through unbuffered; tokens
 * (from `usage`) and latency are recorded per API key and model.
 */
@Injectable()
export class GatewayService implements OnModuleDestroy {
  private readonly log = new Logger('Gateway');
  private readonly httpAgent = new http.Agent({
    keepAlive: true,
    maxSockets: 512,
    keepAliveMsecs: 30_000,
  });
  private readonly httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 512,
    keepAliveMsecs: 30_000,
  });
  private readonly targets = new Map<string, { urls: string[]; at: number }>();
  private readonly allowed = new Map<string, { route: ModelRoute; at: number }>();
  private turn = 0;

  constructor(
    private readonly models: ModelsService,
    private readonly deployments: DeploymentsService,
    private readonly scope: OpenAiScope,
  ) {}

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async handle(
    ctx: RequestContext,
    req: Request,
    res: Response,
    endpoint: GatewayEndpoint,
  ): Promise<void> {
    const started = performance.now();
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new ValidationFailed('The body must be a JSON object', [
        { field: 'body', problems: ['must be a JSON object'] },
      ]);
    const modelId = body.model;
    if (typeof modelId !== 'string' || !modelId)
      throw new ValidationFailed('model is required', [
        { field: 'model', problems: ['required: the id of a model of this orbit'] },
      ]);
    const s = await this.scope.resolve(ctx, req);
    const url = await this.target(ctx, s.orgId, s.orbitId, modelId);
    const stream = body.stream === true;
    const p = ctx.principal;
    const record = (status: number, usage: { prompt: number; completion: number }) => {
      this.models.recordUsage({
        orgId: s.orgId,
        orbitId: s.orbitId,
        modelId,
        apiKeyId: p.kind === 'user' ? (p.apiKey?.id ?? null) : null,
        userId: p.kind === 'user' ? p.userId : null,
        endpoint,
        stream,
        status,
        promptTokens: usage.prompt,
        completionTokens: usage.completion,
        latencyMs: performance.now() - started,
      });
    };
    await this.forward(
      req,
      res,
      `${url.replace(/\/+$/, '')}/v1/${endpoint}`,
      Buffer.from(JSON.stringify(body)),
      stream,
      record,
    );
  }

  /** The inference URL of an active deployment of the model (round robin over replicas). */
  private async target(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    modelId: string,
  ): Promise<string> {
    const key = `${orbitId}\u0000${modelId}`;
    // Who may call which model is re-checked at most every TARGET_CACHE_MS per caller (as the satellites cache their authorization).
    const p = ctx.principal;
    const who = `${p.kind === 'user' ? (p.apiKey?.id ?? p.userId) : p.satelliteId}\u0000${key}`;
    const allowed = this.allowed.get(who);
    let route: ModelRoute | null;
    if (
      allowed &&
      Date.now() - allowed.at < TARGET_CACHE_MS &&
      allowed.at > this.models.changedAt(orbitId, modelId)
    )
      route = allowed.route;
    else {
      route = await this.models.route(ctx, orgId, orbitId, modelId);
      if (!route) throw new ModelNotActive(modelId);
      if (this.allowed.size > 10_000) this.allowed.clear();
      this.allowed.set(who, { route, at: Date.now() });
    }
    const hit = this.targets.get(key);
    if (
      hit &&
      Date.now() - hit.at < TARGET_CACHE_MS &&
      hit.at > this.models.changedAt(orbitId, modelId) &&
      hit.urls.length
    )
      return hit.urls[this.turn++ % hit.urls.length]!;
    const deadline = Date.now() + ACTIVATION_WAIT_MS;
    for (;;) {
      const urls: string[] = [];
      let starting = false;
      for (const id of route.deploymentIds) {
        try {
          const d = await this.deployments.get(ctx, orgId, orbitId, id);
          if (d.inferenceUrl && (d.status === 'active' || d.status === 'not_responding'))
            urls.push(d.inferenceUrl);
          else if (d.status === 'pending' || d.status === 'deploying') starting = true;
        } catch (e) {
          if ((e as DomainError).status !== 404) throw e;
        }
      }
      if (urls.length) {
        this.targets.set(key, { urls, at: Date.now() });
        return urls[this.turn++ % urls.length]!;
      }
      if (!starting)
        throw new ServiceUnavailable(
          'model_unavailable',
          `Model ${modelId} is active but none of its deployments is running; see its deployments, or deactivate and activate it again`,
        );
      if (Date.now() > deadline)
        throw new ServiceUnavailable(
          'model_starting',
          `Model ${modelId} is still starting; try again shortly`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private forward(
    req: Request,
    res: Response,
    target: string,
    payload: Buffer,
    stream: boolean,
    record: (status: number, usage: { prompt: number; completion: number }) => void,
    retried = false,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      const u = new URL(target);
      const isHttps = u.protocol === 'https:';
      const token = bearerToken(req);
      const upstream = (isHttps ? https : http).request(u, {
        method: 'POST',
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(payload.length),
          accept: String(req.headers.accept ?? '*/*'),
          'x-request-id': String(req.id ?? ''),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
      upstream.setTimeout(UPSTREAM_HEADERS_TIMEOUT_MS, () =>
        upstream.destroy(new Error('the model did not answer in time')),
      );
      upstream.on('response', (up) => {
        upstream.setTimeout(0);
        const status = up.statusCode ?? 502;
        const headers: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers))
          if (!HOP.has(k) && v !== undefined) headers[k] = v;
        if (stream) headers['x-accel-buffering'] = 'no';
        res.writeHead(status, headers);
        res.flushHeaders();
        const usage = new UsageScanner(
          String(up.headers['content-type'] ?? '').includes('text/event-stream'),
        );
        up.on('data', (chunk: Buffer) => usage.push(chunk));
        up.pipe(res);
        let recorded = false;
        const done = () => {
          if (recorded) return;
          recorded = true;
          record(status, usage.result());
          resolve();
        };
        up.on('end', done);
        up.on('error', () => {
          res.destroy();
          done();
        });
        res.on('close', () => {
          if (!up.complete) up.destroy();
          done();
        });
      });
      upstream.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the upstream closed meanwhile fails before any answer: send once more on a fresh one.
        if (
          !retried &&
          upstream.reusedSocket &&
          !res.headersSent &&
          (e.code === 'ECONNRESET' || e.code === 'EPIPE')
        ) {
          resolve(this.forward(req, res, target, payload, stream, record, true));
          return;
        }
        if (res.headersSent) res.destroy();
        else
          res.status(502).json({
            error: {
              message: `The model's deployment did not answer: ${e.message}`,
              type: 'server_error',
              code: 'deployment_unreachable',
              param: null,
            },
          });
        record(502, { prompt: 0, completion: 0 });
        resolve();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(payload);
    });
  }
}

/**
 * Reads `usage` from an answer while it streams past: the JSON body (first MiB), or the SSE
 * `data:` events (the last one carrying `usage` wins; without one, content chunks are counted).
 */
class UsageScanner {
  private text = '';
  private prompt = 0;
  private completion = 0;
  private chunks = 0;
  private sawUsage = false;

  constructor(private readonly sse: boolean) {}

  push(chunk: Buffer): void {
    if (!this.sse) {
      if (this.text.length < USAGE_PEEK_BYTES) this.text += chunk.toString('utf8');
      return;
    }
    this.text += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.text.indexOf('\n')) >= 0) {
      const line = this.text.slice(0, nl).trim();
      this.text = this.text.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      try {
        const ev = JSON.parse(data) as { usage?: Usage | null; choices?: unknown[] };
        if (ev.usage) this.take(ev.usage);
        if (ev.choices?.length) this.chunks++;
      } catch {
        // Not JSON: nothing to count.
      }
    }
  }

  result(): { prompt: number; completion: number } {
    if (!this.sse) {
      try {
        const u = (JSON.parse(this.text) as { usage?: Usage }).usage;
        if (u) this.take(u);
      } catch {
        // An error page or a cut body: no usage.
      }
    }
    return {
      prompt: this.prompt,
      completion: this.sawUsage ? this.completion : Math.max(this.chunks - 1, 0),
    };
  }

  private take(u: Usage): void {
    this.sawUsage = true;
    this.prompt = Number(u.prompt_tokens ?? 0) || 0;
    this.completion = Number(u.completion_tokens ?? 0) || 0;
  }
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}
