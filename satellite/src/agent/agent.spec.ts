import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { readAgentConfig } from './agent.config.js';
import { ArtifactCache, ArtifactMismatch } from './artifact-cache.js';
import { Authorizer } from './authorizer.js';
import { Backoff } from './backoff.js';
import { Gateway } from './gateway.js';
import { PlatformUnreachable, type PlatformClient } from './platform-client.js';

const REQUIRED = { APOGEE_URL: 'http://api.test:8080/', APOGEE_SATELLITE_KEY: 'sat_abc' };

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('agent config', () => {
  it('needs only the API URL and the key; everything else has a default', () => {
    const c = readAgentConfig(REQUIRED);
    expect(c).toMatchObject({
      apiUrl: 'http://api.test:8080',
      key: 'sat_abc',
      runtime: 'auto',
      concurrency: 2,
      gatewayPort: 8090,
      leaseMs: 30_000,
      heartbeatIntervalMs: 10_000,
      claimWaitMs: 25_000,
    });
  });

  it('names the variable that is missing or wrong', () => {
    const bad: [Record<string, string>, string][] = [
      [{ APOGEE_SATELLITE_KEY: 'sat_x' }, 'APOGEE_URL'],
      [{ APOGEE_URL: 'http://x' }, 'APOGEE_SATELLITE_KEY'],
      [{ ...REQUIRED, APOGEE_SATELLITE_KEY: 'apg_user_key' }, 'APOGEE_SATELLITE_KEY'],
      [{ ...REQUIRED, APOGEE_URL: 'ftp://x' }, 'APOGEE_URL'],
      [{ ...REQUIRED, APOGEE_SATELLITE_RUNTIME: 'vm' }, 'APOGEE_SATELLITE_RUNTIME'],
      [{ ...REQUIRED, APOGEE_SATELLITE_CONCURRENCY: '0' }, 'APOGEE_SATELLITE_CONCURRENCY'],
      [{ ...REQUIRED, APOGEE_CLAIM_WAIT: '60000' }, 'APOGEE_CLAIM_WAIT'],
      [
        { ...REQUIRED, APOGEE_BACKOFF_MIN: '5000', APOGEE_BACKOFF_MAX: '100' },
        'APOGEE_BACKOFF_MAX',
      ],
    ];
    for (const [env, variable] of bad) {
      let error: unknown;
      try {
        readAgentConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error, variable).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
    }
  });
});

describe('Backoff', () => {
  it('grows from min towards max with jitter, and starts over after reset', () => {
    const b = new Backoff(100, 1_000);
    const waits = Array.from({ length: 12 }, () => b.next());
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(100);
      expect(w).toBeLessThanOrEqual(1_000);
    }
    expect(waits[0]).toBeLessThanOrEqual(100);
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(100);
  });
});

describe('Authorizer', () => {
  it('asks the platform once per token and deployment within the TTL, and again after it', async () => {
    let calls = 0;
    const client = {
      authorize: async (token: string) => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return { allowed: token === 'good', ttlSec: 10 };
      },
    } as unknown as PlatformClient;
    const a = new Authorizer(client, 100);
    const answers = await Promise.all([
      a.allowed('good', 'd1'),
      a.allowed('good', 'd1'),
      a.allowed('bad', 'd1'),
    ]);
    expect(answers).toEqual([true, true, false]);
    expect(calls).toBe(2);
    expect(await a.allowed('good', 'd1')).toBe(true);
    expect(calls).toBe(2);
    await new Promise((r) => setTimeout(r, 150));
    await a.allowed('good', 'd1');
    expect(calls).toBe(3);
  });
});

describe('Authorizer while the platform is unreachable', () => {
  it('keeps serving callers it allowed recently, and lets nobody new in', async () => {
    let down = false;
    const client = {
      authorize: async () => {
        if (down) throw new PlatformUnreachable(new Error('ECONNREFUSED'));
        return { allowed: true, ttlSec: 10 };
      },
    } as unknown as PlatformClient;
    const a = new Authorizer(client, 10);
    expect(await a.allowed('known', 'd1')).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    down = true;
    expect(await a.allowed('known', 'd1')).toBe(true);
    await expect(a.allowed('stranger', 'd1')).rejects.toBeInstanceOf(PlatformUnreachable);
  });
});

describe('ArtifactCache', () => {
  let dir: string;
  let served: { server: Server; url: string };
  let hits = 0;
  const bytes = Buffer.from('tiny model bytes');
  const sha = createHash('sha256').update(bytes).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-cache-'));
    served = await listen((req, res) => {
      hits++;
      res.end(req.url === '/tampered' ? Buffer.from('tiny model bytez') : bytes);
    });
  });
  afterAll(async () => {
    served.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads once per sha256, verifies it, and serves later requests from the cache', async () => {
    const cache = new ArtifactCache(dir);
    const a = { url: `${served.url}/ok`, sha256: sha, size: bytes.length, format: 'onnx' };
    const [first, concurrent] = await Promise.all([cache.ensure(a), cache.ensure(a)]);
    expect(first).toEqual({ path: path.join(dir, `${sha}.onnx`), cached: false });
    expect(concurrent.path).toBe(first.path);
    expect(hits).toBe(1);
    expect(await cache.ensure(a)).toEqual({ path: first.path, cached: true });
    expect(hits).toBe(1);
  });

  it('refuses bytes whose sha256 differs and leaves nothing behind', async () => {
    const cache = new ArtifactCache(path.join(dir, 'other'));
    const wrong = createHash('sha256').update('x').digest('hex');
    await expect(
      cache.ensure({
        url: `${served.url}/tampered`,
        sha256: wrong,
        size: bytes.length,
        format: 'onnx',
      }),
    ).rejects.toBeInstanceOf(ArtifactMismatch);
    expect(await readdir(path.join(dir, 'other'))).toEqual([]);
  });
});

describe('Gateway', () => {
  let model: { server: Server; url: string };
  let gateway: Gateway;
  let base: string;
  let platformDown = false;

  beforeAll(async () => {
    model = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () =>
        res.end(JSON.stringify({ path: req.url, body, auth: req.headers.authorization ?? null })),
      );
    });
    gateway = new Gateway({
      host: '127.0.0.1',
      port: 0,
      log: silentLogger,
      authorize: async (token) => {
        if (platformDown) throw new PlatformUnreachable(new Error('ECONNREFUSED'));
        return token === 'apg_ok';
      },
      target: (id) => (id === '11111111-1111-4111-8111-111111111111' ? model.url : null),
      status: () => ({ deployments: 1 }),
    });
    base = `http://127.0.0.1:${await gateway.start()}`;
  });
  afterAll(async () => {
    await gateway.close();
    model.server.close();
  });

  const call = (p: string, token?: string) =>
    fetch(base + p, {
      method: 'POST',
      body: '{"inputs":{}}',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('proxies allowed callers to the model without their credentials', async () => {
    const r = await call('/deployments/11111111-1111-4111-8111-111111111111/predict?x=1', 'apg_ok');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ path: '/predict?x=1', body: '{"inputs":{}}', auth: null });
  });

  it('answers 401 without a key, 403 for a refused key, 503 when the model or the platform is not there', async () => {
    expect((await call('/deployments/11111111-1111-4111-8111-111111111111/predict')).status).toBe(
      401,
    );
    expect(
      (await call('/deployments/11111111-1111-4111-8111-111111111111/predict', 'apg_no')).status,
    ).toBe(403);
    expect(
      (await call('/deployments/22222222-2222-4222-8222-222222222222/predict', 'apg_ok')).status,
    ).toBe(503);
    platformDown = true;
    expect(
      (await call('/deployments/11111111-1111-4111-8111-111111111111/predict', 'apg_ok')).status,
    ).toBe(503);
    platformDown = false;
    expect((await call('/nothing', 'apg_ok')).status).toBe(404);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', deployments: 1 });
  });
});
