import { randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCounts, tableDigest } from '../testing/db-snapshot.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import { registry, sha256 } from './registry-fixtures.js';

/**
 * Tenancy and input validation of every registry route (collections, artifacts, orbit secrets).
 * The platform-wide tenancy spec names these routes as tested here.
 */
interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

const REGISTRY_TABLES = ['collections', 'artifacts', 'artifact_metrics', 'orbit_secrets'];
let t: TestApp;
let victim: Awaited<ReturnType<typeof signupUser>>;
let db: DataSource;
let ob: string;
let ids: Record<string, string>;

beforeAll(async () => {
  // Threshold 0: every non-empty artifact uploads in parts, so part routes have a target.
  t = await startTestApp({ APOGEE_MULTIPART_THRESHOLD: '0' });
  db = t.app.get<DataSource>(getDataSourceToken());
  victim = await signupUser(t.baseURL, 'victim@registry.test');
  const restricted = await victim.client.post(`/v1/organizations/${victim.org.id}/orbits`, {
    name: 'restricted',
  });
  const reg = registry(victim.client, victim.org.id, restricted.body.id);
  ob = reg.base;
  const col = await reg.collection({ name: 'victim-collection' });
  const uploaded = await reg.upload(col.id, randomBytes(100), {
    name: 'victim-uploaded',
    metrics: { accuracy: 0.5 },
    tags: ['victim'],
  });
  const pending = await reg.create(col.id, randomBytes(100), { name: 'victim-pending' });
  const secret = await victim.client.post(`${ob}/secrets`, {
    name: 'VICTIM_TOKEN',
    value: 'victim-secret-value',
  });
  expect(secret.status).toBe(201);
  ids = {
    collection: col.id,
    uploaded: uploaded.id,
    pending: pending.body.artifact.id,
    secret: secret.body.id,
  };
}, 60_000);
afterAll(async () => t?.close());

function routes(): Route[] {
  const a = `${ob}/artifacts`;
  return [
    { method: 'POST', path: `${ob}/collections`, body: { name: 'intruder', type: 'model' } },
    { method: 'GET', path: `${ob}/collections` },
    { method: 'GET', path: `${ob}/collections/${ids.collection}` },
    { method: 'PATCH', path: `${ob}/collections/${ids.collection}`, body: { name: 'pwned' } },
    { method: 'DELETE', path: `${ob}/collections/${ids.collection}` },
    {
      method: 'POST',
      path: `${ob}/collections/${ids.collection}/artifacts`,
      body: { name: 'x', fileName: 'x.bin', size: 1, sha256: sha256(Buffer.from('x')) },
    },
    { method: 'GET', path: a },
    { method: 'GET', path: `${a}?sort=metrics.accuracy&tag=victim` },
    { method: 'GET', path: `${a}/${ids.uploaded}` },
    {
      method: 'PATCH',
      path: `${a}/${ids.uploaded}`,
      body: { name: 'pwned', metrics: { accuracy: 1 } },
    },
    { method: 'DELETE', path: `${a}/${ids.uploaded}` },
    { method: 'POST', path: `${a}/${ids.pending}/upload/parts`, body: { partNumbers: [1] } },
    { method: 'GET', path: `${a}/${ids.pending}/upload` },
    { method: 'POST', path: `${a}/${ids.pending}/complete`, body: {} },
    { method: 'POST', path: `${a}/${ids.pending}/abort`, body: {} },
    { method: 'GET', path: `${a}/${ids.uploaded}/download-url` },
    { method: 'GET', path: `${a}/${ids.uploaded}/download` },
    { method: 'POST', path: `${ob}/secrets`, body: { name: 'INTRUDER', value: 'x' } },
    { method: 'GET', path: `${ob}/secrets` },
    { method: 'GET', path: `${ob}/secrets/${ids.secret}` },
    { method: 'GET', path: `${ob}/secrets/${ids.secret}/value` },
    { method: 'PATCH', path: `${ob}/secrets/${ids.secret}`, body: { value: 'pwned' } },
    { method: 'DELETE', path: `${ob}/secrets/${ids.secret}` },
  ];
}

async function snapshot() {
  return { counts: await rowCounts(db), digest: await tableDigest(db, REGISTRY_TABLES) };
}

async function expectAllDenied(client: Http) {
  const before = await snapshot();
  for (const r of routes()) {
    const res = await client.call(r.method, r.path, r.body);
    expect(
      [403, 404],
      `${r.method} ${r.path} answered ${res.status} ${JSON.stringify(res.body)}`,
    ).toContain(res.status);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
    const text = JSON.stringify(res.body);
    for (const leak of ['victim', 'restricted', 'VICTIM', 'https://', '/v1/storage'])
      expect(text).not.toContain(leak);
  }
  expect(await snapshot()).toEqual(before);
}

describe('registry tenancy', () => {
  it('denies a user of another organization every registry route, changing nothing', async () => {
    const outsider = await signupUser(t.baseURL, 'outsider@else.test');
    await expectAllDenied(outsider.client);
  });

  it('denies an API key of another organization every registry route', async () => {
    const outsider = await signupUser(t.baseURL, 'outsider-key@else.test');
    const key = await outsider.client.post('/v1/users/me/api-keys', { name: 'k' });
    await expectAllDenied(http(t.baseURL, key.body.key));
  });

  it('denies an organization member who is not in the orbit every registry route', async () => {
    const member = await signupUser(t.baseURL, 'member@registry.test');
    const inv = await victim.client.post(`/v1/organizations/${victim.org.id}/invitations`, {
      email: 'member@registry.test',
      role: 'member',
    });
    expect(
      (await member.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status,
    ).toBe(204);
    await expectAllDenied(member.client);
  });

  it('denies an API key scoped to another orbit of the same organization', async () => {
    const key = await victim.client.post('/v1/users/me/api-keys', {
      name: 'scoped',
      orbitId: victim.orbit.id,
    });
    await expectAllDenied(http(t.baseURL, key.body.key));
  });

  it('lets an orbit member read and write artifacts but not reveal or read secrets (403)', async () => {
    const member = await signupUser(t.baseURL, 'orbit-member@registry.test');
    const inv = await victim.client.post(`/v1/organizations/${victim.org.id}/invitations`, {
      email: 'orbit-member@registry.test',
      role: 'member',
    });
    await member.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`);
    const orbitId = ob.split('/').pop()!;
    expect(
      (
        await victim.client.post(`/v1/organizations/${victim.org.id}/orbits/${orbitId}/members`, {
          userId: member.user.id,
          role: 'member',
        })
      ).status,
    ).toBe(201);
    expect((await member.client.get(`${ob}/artifacts/${ids.uploaded}`)).status).toBe(200);
    expect((await member.client.get(`${ob}/secrets`)).body.map((s: any) => s.name)).toEqual([
      'VICTIM_TOKEN',
    ]);
    const reveal = await member.client.get(`${ob}/secrets/${ids.secret}/value`);
    expect(reveal.status).toBe(403);
    expect(JSON.stringify(reveal.body)).not.toContain('victim-secret-value');
    expect((await member.client.delete(`${ob}/artifacts/${ids.uploaded}`)).status).toBe(403);
  });
});

describe('registry bad input', () => {
  const long = (n: number) => 'x'.repeat(n);
  const sha = 'a'.repeat(64);
  function cases(): [string, string, unknown[]][] {
    const c = `${ob}/collections`;
    const a = `${ob}/artifacts`;
    const okArtifact = { name: 'm', fileName: 'm.bin', size: 10, sha256: sha };
    return [
      [
        'POST',
        c,
        [
          {},
          { name: 'x' },
          { name: 'x', type: 'weights' },
          { name: '', type: 'model' },
          { name: long(101), type: 'model' },
          { name: 'x', type: 'model', tags: 'a' },
          { name: 'x', type: 'model', tags: ['a b'] },
          { name: 'x', type: 'model', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) },
          { name: 'x', type: 'model', owner: 'me' },
          { name: 5, type: 'model' },
          { name: 'x', type: 'model', description: long(2001) },
        ],
      ],
      [
        'PATCH',
        `${c}/${ids.collection}`,
        [{ name: '' }, { type: 'all' }, { orbitId: ids.collection }, { tags: [1] }],
      ],
      [
        'POST',
        `${c}/${ids.collection}/artifacts`,
        [
          {},
          { ...okArtifact, size: -1 },
          { ...okArtifact, size: '10' },
          { ...okArtifact, size: 1.5 },
          { ...okArtifact, sha256: 'xyz' },
          { ...okArtifact, fileName: '../etc/passwd' },
          { ...okArtifact, fileName: long(256) },
          { ...okArtifact, name: long(201) },
          { ...okArtifact, type: 'weights' },
          { ...okArtifact, format: 'pickle' },
          { ...okArtifact, metrics: { accuracy: 'high' } },
          { ...okArtifact, metrics: { 'bad key!': 1 } },
          { ...okArtifact, metrics: { [long(101)]: 1 } },
          {
            ...okArtifact,
            metrics: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`m${i}`, i])),
          },
          { ...okArtifact, metrics: { nested: { a: 1 } } },
          { ...okArtifact, metrics: [1, 2] },
          { ...okArtifact, manifest: 'onnx' },
          { ...okArtifact, contentType: 'not a type' },
          { ...okArtifact, status: 'uploaded' },
          { ...okArtifact, storageKey: '/etc' },
        ],
      ],
      [
        'PATCH',
        `${a}/${ids.uploaded}`,
        [
          { name: '' },
          { metrics: { loss: null } },
          { status: 'uploaded' },
          { size: 1 },
          { tags: 'x' },
          { description: long(5001) },
        ],
      ],
      [
        'POST',
        `${a}/${ids.pending}/upload/parts`,
        [
          {},
          { partNumbers: [] },
          { partNumbers: [0] },
          { partNumbers: [1, 1] },
          { partNumbers: ['1'] },
          { partNumbers: [10001] },
          { partNumbers: Array.from({ length: 1001 }, (_, i) => i + 1) },
          { partNumbers: [2] },
        ],
      ],
      [
        'POST',
        `${a}/${ids.pending}/complete`,
        [
          { parts: 'all' },
          { parts: [{ partNumber: 0, etag: 'x' }] },
          { parts: [{ partNumber: 1 }] },
          { parts: [] },
          { force: true },
        ],
      ],
      [
        'POST',
        `${ob}/secrets`,
        [
          {},
          { name: 'lower', value: 'x' },
          { name: '1ABC', value: 'x' },
          { name: 'A-B', value: 'x' },
          { name: 'OK', value: 5 },
          { name: 'OK', value: long(64 * 1024 + 1) },
          { name: 'OK', value: 'é'.repeat(40 * 1024) },
          { name: long(129).toUpperCase(), value: 'x' },
          { name: 'OK', value: 'x', orbitId: ids.secret },
        ],
      ],
      ['PATCH', `${ob}/secrets/${ids.secret}`, [{ name: 'RENAMED' }, { value: 1 }, { tags: [''] }]],
    ];
  }

  it('refuses malformed, unknown, mistyped and oversized fields with 400 listing the fields, changing nothing', async () => {
    const before = await snapshot();
    for (const [method, path, bodies] of cases()) {
      for (const body of bodies) {
        const r = await victim.client.call(method, path, body);
        expect(
          r.status,
          `${method} ${path} ${JSON.stringify(body).slice(0, 200)} → ${r.status} ${JSON.stringify(r.body)}`,
        ).toBe(400);
        expect(r.body).toMatchObject({
          code: 'validation_failed',
          message: expect.any(String),
          requestId: expect.any(String),
        });
        expect(r.body.details.fields.length).toBeGreaterThan(0);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad ids, bad list queries and a body that is not JSON with 4xx and the error shape', async () => {
    const before = await snapshot();
    const bad: [string, string, unknown?][] = [
      ['GET', `${ob}/collections/not-a-uuid`],
      ['PATCH', `${ob}/collections/123`, { name: 'x' }],
      ['DELETE', `${ob}/artifacts/zzz`],
      ['GET', `${ob}/artifacts/${ids.uploaded}x/download`],
      ['GET', `${ob}/secrets/1/value`],
      ['GET', `/v1/organizations/nope/orbits/${ids.collection}/artifacts`],
      ['GET', `${ob}/artifacts?limit=0`],
      ['GET', `${ob}/artifacts?limit=201`],
      ['GET', `${ob}/artifacts?sort=metrics.bad%20key`],
      ['GET', `${ob}/artifacts?sort=sha256`],
      ['GET', `${ob}/artifacts?order=sideways`],
      ['GET', `${ob}/artifacts?collectionId=abc`],
      ['GET', `${ob}/artifacts?status=gone`],
      ['GET', `${ob}/artifacts?tag=a%20b`],
      ['GET', `${ob}/artifacts?cursor=garbage`],
      ['GET', `${ob}/artifacts?owner=me`],
      ['GET', `${ob}/collections?sort=size`],
      ['GET', `${ob}/collections?type=weights`],
      ['POST', `${ob}/collections`, '{"name": '],
    ];
    for (const [method, path, body] of bad) {
      const r = await victim.client.call(method, path, body);
      expect(
        r.status,
        `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`,
      ).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(Object.keys(r.body)).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
    }
    // A cursor forged for the right scope but carrying a value of the wrong type is refused too.
    const page = await victim.client.get(`${ob}/artifacts?sort=created_at&limit=1`);
    const decoded = JSON.parse(Buffer.from(page.body.nextCursor, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...decoded, v: ['not a date', 'x'] })).toString(
      'base64url',
    );
    expect(
      (await victim.client.get(`${ob}/artifacts?sort=created_at&limit=1&cursor=${forged}`)).status,
    ).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});
