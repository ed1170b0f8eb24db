import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser } from '../testing/http.js';
import { verifySignature } from './webhook-signature.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
  signatureValid: boolean;
}

let t: TestApp;
let db: DataSource;
let u: Awaited<ReturnType<typeof signupUser>>;
let ob: string;
let receiver: http.Server;
let receiverURL: string;
const received: Received[] = [];
/** path → secret used to verify what arrives there. */
const secrets = new Map<string, string>();
/** path → how many more requests to answer 500 before answering 200. */
const failures = new Map<string, number>();

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const left = failures.get(path) ?? 0;
      const answered = left > 0 ? 500 : 200;
      if (left > 0) failures.set(path, left - 1);
      const secret = secrets.get(path) ?? '';
      received.push({
        path,
        headers: req.headers,
        body,
        answered,
        signatureValid: verifySignature(
          secret,
          String(req.headers['apogee-signature'] ?? ''),
          body,
        ),
      });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverURL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // Loopback deliveries are refused by default; this test allows them per organization below.
  t = await startTestApp({
    APOGEE_WEBHOOKS_RETRY_BASE_MS: '100',
    APOGEE_WEBHOOKS_TIMEOUT_MS: '2000',
  });
  db = t.app.get<DataSource>(getDataSourceToken());
  u = await signupUser(t.baseURL, 'owner@hooks.test');
  ob = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
}, 60_000);
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

async function hook(path: string, events: string[]) {
  const r = await u.client.post(`${ob}/webhooks`, {
    name: `h${path.replace(/\W/g, '-')}`,
    url: `${receiverURL}${path}`,
    events,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  secrets.set(path, r.body.secret);
  return r.body;
}

describe('webhooks', { timeout: 30_000 }, () => {
  it('refuses URLs that are not http(s) or that reach private networks unless an admin allows them, changing nothing', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM webhooks');
    for (const url of [
      'ftp://example.com/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      `${receiverURL}/x`,
      'http://localhost:9/x',
      'http://169.254.169.254/latest',
      'http://[::1]:9/',
      'http://10.1.2.3/',
      'http://user:pw@example.com/',
    ]) {
      const r = await u.client.post(`${ob}/webhooks`, {
        name: 'bad',
        url,
        events: ['track.alias_moved'],
      });
      expect(r.status, `${url} → ${r.status} ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.details.fields[0].field).toBe('url');
    }
    for (const body of [
      { name: 'x', url: 'https://example.com', events: [] },
      { name: 'x', url: 'https://example.com', events: ['artifact.deleted'] },
      { name: 'x', url: 'https://example.com', events: ['track.alias_moved'], secret: 's' },
    ]) {
      expect((await u.client.post(`${ob}/webhooks`, body)).status).toBe(400);
    }
    expect(await db.query('SELECT count(*)::int AS n FROM webhooks')).toEqual(before);
    const s = await u.client.put(`/v1/organizations/${u.org.id}/webhook-settings`, {
      allowPrivateNetworks: true,
    });
    expect(s.body).toEqual({ allowPrivateNetworks: true });
  });

  it('signs every delivery, shows the secret once, and delivers track events and the test event', async () => {
    const h = await hook('/all', ['track.version_added', 'track.alias_moved', 'artifact.uploaded']);
    expect(h.secret).toMatch(/^whsec_/);
    const got = await u.client.get(`${ob}/webhooks/${h.id}`);
    expect(got.body.secret).toBeUndefined();
    expect(
      JSON.stringify(await db.query('SELECT secret_encrypted FROM webhooks WHERE id = $1', [h.id])),
    ).not.toContain(h.secret);

    const reg = registry(u.client, u.org.id, u.orbit.id);
    const art = await reg.upload((await reg.collection()).id, randomBytes(32));
    const tr = (await u.client.post(`${ob}/tracks`, { name: 'hooked' })).body;
    expect(
      (await u.client.post(`${ob}/tracks/${tr.id}/versions`, { artifactId: art.id })).status,
    ).toBe(201);
    expect(
      (await u.client.put(`${ob}/tracks/${tr.id}/aliases/production`, { version: 1 })).status,
    ).toBe(200);
    expect((await u.client.post(`${ob}/webhooks/${h.id}/test`)).status).toBe(201);

    const mine = await until('four deliveries', async () => {
      const r = received.filter((x) => x.path === '/all');
      return r.length >= 4 ? r : undefined;
    });
    expect(mine.every((r) => r.signatureValid)).toBe(true);
    const events = mine.map((r) => JSON.parse(r.body).event);
    expect(new Set(mine.map((r) => r.headers['apogee-delivery'])).size).toBe(mine.length);
    expect(events).toEqual(
      expect.arrayContaining(['track.version_added', 'track.alias_moved', 'webhook.test']),
    );
    const moved = JSON.parse(
      mine.find((r) => JSON.parse(r.body).event === 'track.alias_moved')!.body,
    );
    expect(moved).toMatchObject({
      orbitId: u.orbit.id,
      data: {
        trackId: tr.id,
        alias: 'production',
        fromVersion: null,
        toVersion: 1,
        toArtifactId: art.id,
      },
      actor: { email: 'owner@hooks.test' },
    });
    const m = mine[0]!;
    expect(m.headers['apogee-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(m.headers['apogee-delivery']).toBe(JSON.parse(m.body).id);
    // A tampered body or another secret does not verify.
    expect(
      verifySignature(secrets.get('/all')!, String(m.headers['apogee-signature']), m.body + ' '),
    ).toBe(false);
    expect(verifySignature('whsec_other', String(m.headers['apogee-signature']), m.body)).toBe(
      false,
    );
  });

  it('retries a receiver that fails three times with backoff, delivers the event exactly once, and logs every attempt', async () => {
    const h = await hook('/flaky', ['track.alias_moved']);
    failures.set('/flaky', 3);
    const reg = registry(u.client, u.org.id, u.orbit.id);
    const art = await reg.upload((await reg.collection()).id, randomBytes(32));
    const tr = (await u.client.post(`${ob}/tracks`, { name: 'flaky-track' })).body;
    await u.client.post(`${ob}/tracks/${tr.id}/versions`, { artifactId: art.id });
    expect(
      (await u.client.put(`${ob}/tracks/${tr.id}/aliases/staging`, { version: 1 })).status,
    ).toBe(200);

    const delivery = await until('the delivery to succeed', async () => {
      const page = await u.client.get(`${ob}/webhooks/${h.id}/deliveries`);
      const d = page.body.items.find((x: any) => x.event === 'track.alias_moved');
      return d?.status === 'succeeded' ? d : undefined;
    });
    expect(delivery.attempts).toBe(4);
    expect(delivery.attemptLog.map((a: any) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(delivery.attemptLog.every((a: any) => a.latencyMs >= 0)).toBe(true);
    const gaps = delivery.attemptLog
      .slice(1)
      .map(
        (a: any, i: number) =>
          Date.parse(a.createdAt) - Date.parse(delivery.attemptLog[i].createdAt),
      );
    // Each retry waits at least the jittered exponential backoff (base 100 ms × 2^n × 0.8); the
    // worker's polling may add to a wait but never shortens it.
    gaps.forEach((g: number, i: number) => expect(g).toBeGreaterThanOrEqual(0.8 * 100 * 2 ** i));
    const flaky = received.filter((r) => r.path === '/flaky');
    expect(flaky.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(flaky.map((r) => r.headers['apogee-delivery']))).toEqual(new Set([delivery.id]));
    expect(flaky.filter((r) => r.answered === 200)).toHaveLength(1);
    // Nothing more arrives later.
    await new Promise((r) => setTimeout(r, 1200));
    expect(received.filter((r) => r.path === '/flaky' && r.answered === 200)).toHaveLength(1);
  });

  it('gives up after the last attempt and marks the delivery failed', async () => {
    const h = await hook('/down', ['track.alias_moved']);
    await db.query('UPDATE webhook_deliveries SET max_attempts = 2 WHERE webhook_id = $1', [h.id]);
    failures.set('/down', 100);
    const test = await u.client.post(`${ob}/webhooks/${h.id}/test`);
    await db.query('UPDATE webhook_deliveries SET max_attempts = 2 WHERE id = $1', [test.body.id]);
    const d = await until('the delivery to fail', async () => {
      const page = await u.client.get(`${ob}/webhooks/${h.id}/deliveries`);
      const x = page.body.items.find((i: any) => i.id === test.body.id);
      return x?.status === 'failed' ? x : undefined;
    });
    expect(d.attemptLog.map((a: any) => a.statusCode)).toEqual([500, 500]);
    expect(d.lastStatusCode).toBe(500);
  });
});
