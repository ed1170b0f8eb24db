import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../common/auth/principal.js';
import type { DeploymentsService } from '../deployments/deployments.service.js';
import { GatewayService } from './gateway.service.js';
import type { ModelsService, UsageRecord } from './models.service.js';
import type { OpenAiScope } from './openai-scope.js';

/**
 * The gateway's proxying, against an upstream that streams on cue: each SSE event is sent only
 * after the client has received the previous one, so a gateway that buffered would never finish.
 */
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function listen(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const ctx: RequestContext = {
  principal: {
    kind: 'user',
    userId: 'u1',
    email: 'a@b.c',
    via: 'api_key',
    apiKey: { id: 'k1', organizationId: 'o1', orbitId: 'b1' },
  },
  requestId: 'r1',
  ip: '',
};

function gatewayTo(upstream: string, usage: UsageRecord[]): GatewayService {
  const models = {
    route: () => Promise.resolve({ model: {}, deploymentIds: ['d1'] }),
    changedAt: () => 0,
    recordUsage: (u: UsageRecord) => usage.push(u),
  } as unknown as ModelsService;
  const deployments = {
    get: () => Promise.resolve({ status: 'active', inferenceUrl: upstream }),
  } as unknown as DeploymentsService;
  const scope = {
    resolve: () => Promise.resolve({ orgId: 'o1', orbitId: 'b1' }),
  } as unknown as OpenAiScope;
  return new GatewayService(models, deployments, scope);
}

/** The gateway mounted on a plain server, as the controller would call it. */
async function front(gateway: GatewayService): Promise<string> {
  return listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = req as unknown as Request;
      (r as { body: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
      gateway.handle(ctx, r, res as unknown as Response, 'chat/completions').catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
}

describe('GatewayService', () => {
  it('passes an SSE stream through event by event and reads usage from it', async () => {
    let cue: (() => void) | null = null;
    const next = () => new Promise<void>((r) => (cue = r));
    const seen: { path: string; auth: string | undefined; body: string }[] = [];
    const upstream = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          path: req.url!,
          auth: req.headers.authorization,
          body: Buffer.concat(chunks).toString(),
        });
        void (async () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'he' } }] })}\n\n`);
          await next();
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'llo' } }] })}\n\n`);
          await next();
          res.write(
            `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2 } })}\n\n`,
          );
          res.end('data: [DONE]\n\n');
        })();
      });
    });
    const usage: UsageRecord[] = [];
    const base = await front(gatewayTo(`${upstream}/deployments/d1`, usage));
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer apg_test' },
      body: JSON.stringify({ model: 'acme/m', stream: true, messages: [] }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const events = () => text.split('\n\n').filter((e) => e.startsWith('data:')).length;
    for (let want = 1; want <= 4; want++) {
      while (events() < want) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      // Only now does the upstream send the next event.
      (cue as (() => void) | null)?.();
    }
    expect(text).toContain('"he"');
    expect(text).toContain('"llo"');
    expect(text).toContain('[DONE]');
    expect(seen[0]).toMatchObject({
      path: '/deployments/d1/v1/chat/completions',
      auth: 'Bearer apg_test',
    });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ model: 'acme/m', stream: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      orgId: 'o1',
      orbitId: 'b1',
      modelId: 'acme/m',
      apiKeyId: 'k1',
      endpoint: 'chat/completions',
      stream: true,
      status: 200,
      promptTokens: 7,
      completionTokens: 2,
    });
  });

  it('reads usage from a JSON answer and passes upstream errors through unchanged', async () => {
    let status = 200;
    const upstream = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status === 200
              ? { choices: [], usage: { prompt_tokens: 3, completion_tokens: 5 } }
              : { error: { message: 'bad', type: 'invalid_request_error', code: 'x' } },
          ),
        );
      });
    });
    const usage: UsageRecord[] = [];
    const base = await front(gatewayTo(upstream, usage));
    const call = () =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'acme/m', messages: [] }),
      });
    expect((await call()).status).toBe(200);
    status = 400;
    const r = await call();
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: { message: 'bad', type: 'invalid_request_error', code: 'x' },
    });
    await new Promise((res) => setTimeout(res, 20));
    expect(usage.map((u) => [u.status, u.promptTokens, u.completionTokens])).toEqual([
      [200, 3, 5],
      [400, 0, 0],
    ]);
  });
});
