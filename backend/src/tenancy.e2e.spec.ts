import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApi } from './openapi.js';
import { startTestApp, type TestApp } from './testing/harness.js';
import { http, signupUser, type Http } from './testing/http.js';

/**
 * Every tenant route, with a body that would succeed for an authorized caller. The last test
 * fails when the API gains a tenant route that is not listed here.
 */
interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** Org-level routes an ordinary org member may call (reads): skipped for the member-not-in-orbit caller. */
  memberMayCall?: boolean;
}

let t: TestApp;
let victim: Awaited<ReturnType<typeof signupUser>>;
let ids: Record<string, string>;
let routes: Route[];

beforeAll(async () => {
  t = await startTestApp();
  victim = await signupUser(t.baseURL, 'victim@corp.test');
  const org = victim.org.id as string;
  const secondOrbit = await victim.client.post(`/v1/organizations/${org}/orbits`, {
    name: 'restricted',
  });
  const invite = await victim.client.post(`/v1/organizations/${org}/invitations`, {
    email: 'pending@corp.test',
    role: 'member',
  });
  const key = await victim.client.post('/v1/users/me/api-keys', { name: 'victim key' });
  const orbitMembers = await victim.client.get(
    `/v1/organizations/${org}/orbits/${secondOrbit.body.id}/members`,
  );
  const orgMembers = await victim.client.get(`/v1/organizations/${org}/members`);
  ids = {
    org,
    orbit: secondOrbit.body.id,
    invitation: invite.body.id,
    apiKey: key.body.id,
    orbitMember: orbitMembers.body[0].id,
    orgMember: orgMembers.body[0].id,
    victimUser: victim.user.id,
  };
  const o = `/v1/organizations/${ids.org}`;
  const ob = `${o}/orbits/${ids.orbit}`;
  routes = [
    { method: 'GET', path: o, memberMayCall: true },
    { method: 'PATCH', path: o, body: { name: 'pwned' } },
    { method: 'DELETE', path: o },
    { method: 'GET', path: `${o}/members`, memberMayCall: true },
    { method: 'PATCH', path: `${o}/members/${ids.orgMember}`, body: { role: 'member' } },
    { method: 'DELETE', path: `${o}/members/${ids.orgMember}` },
    { method: 'GET', path: `${o}/invitations` },
    {
      method: 'POST',
      path: `${o}/invitations`,
      body: { email: 'intruder@corp.test', role: 'admin' },
    },
    { method: 'DELETE', path: `${o}/invitations/${ids.invitation}` },
    { method: 'GET', path: `${o}/orbits`, memberMayCall: true },
    { method: 'POST', path: `${o}/orbits`, body: { name: 'intruder-orbit' } },
    { method: 'GET', path: ob },
    { method: 'PATCH', path: ob, body: { name: 'pwned' } },
    { method: 'DELETE', path: ob },
    { method: 'GET', path: `${ob}/members` },
    { method: 'POST', path: `${ob}/members`, body: { userId: ids.victimUser, role: 'member' } },
    { method: 'PATCH', path: `${ob}/members/${ids.orbitMember}`, body: { role: 'member' } },
    { method: 'DELETE', path: `${ob}/members/${ids.orbitMember}` },
    { method: 'GET', path: `${o}/audit-events` },
  ];
});
afterAll(async () => t?.close());

async function attack(client: Http, r: Route) {
  const res = await client.call(r.method, r.path, r.body);
  return res;
}

function expectDenied(res: { status: number; body: any }, r: Route) {
  expect(
    [403, 404],
    `${r.method} ${r.path} answered ${res.status} ${JSON.stringify(res.body)}`,
  ).toContain(res.status);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
  const text = JSON.stringify(res.body);
  expect(text).not.toContain('victim');
  expect(text).not.toContain('restricted');
}

describe('tenancy', () => {
  it('denies a user of another organization on every tenant route, changing nothing', async () => {
    const outsider = await signupUser(t.baseURL, 'outsider@else.test');
    const db = t.app.get<DataSource>(getDataSourceToken());
    const before = await db.query(
      'SELECT count(*)::int AS n FROM audit_events WHERE organization_id = $1',
      [ids.org],
    );
    for (const r of routes) expectDenied(await attack(outsider.client, r), r);
    const after = await db.query(
      'SELECT count(*)::int AS n FROM audit_events WHERE organization_id = $1',
      [ids.org],
    );
    expect(after).toEqual(before);
  });

  it('denies an API key of another organization on every tenant route', async () => {
    const outsider = await signupUser(t.baseURL, 'outsider-key@else.test');
    const key = await outsider.client.post('/v1/users/me/api-keys', { name: 'k' });
    const viaKey = http(t.baseURL, key.body.key);
    for (const r of routes) expectDenied(await attack(viaKey, r), r);
  });

  it('denies an organization member who is not in the orbit everything in that orbit and every admin action', async () => {
    const member = await signupUser(t.baseURL, 'member@corp.test');
    const inv = await victim.client.post(`/v1/organizations/${ids.org}/invitations`, {
      email: 'member@corp.test',
      role: 'member',
    });
    expect(
      (await member.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status,
    ).toBe(204);
    for (const r of routes.filter((x) => !x.memberMayCall))
      expectDenied(await attack(member.client, r), r);
    // What a member may read, they read without seeing the restricted orbit.
    const orbits = await member.client.get(`/v1/organizations/${ids.org}/orbits`);
    expect(orbits.status).toBe(200);
    expect(orbits.body.map((x: { name: string }) => x.name)).not.toContain('restricted');
  });

  it('confines an orbit-scoped API key to its orbit', async () => {
    const own = await victim.client.get(`/v1/organizations/${ids.org}/orbits`);
    const defaultOrbit = own.body.find((x: { name: string }) => x.name === 'default');
    const key = await victim.client.post('/v1/users/me/api-keys', {
      name: 'scoped',
      orbitId: defaultOrbit.id,
    });
    expect(key.status).toBe(201);
    expect(key.body.organizationId).toBe(ids.org);
    const scoped = http(t.baseURL, key.body.key);
    expect(
      (await scoped.get(`/v1/organizations/${ids.org}/orbits/${defaultOrbit.id}`)).status,
    ).toBe(200);
    expect((await scoped.get(`/v1/organizations/${ids.org}/orbits/${ids.orbit}`)).status).toBe(404);
    const listed = await scoped.get(`/v1/organizations/${ids.org}/orbits`);
    expect(listed.body.map((x: { id: string }) => x.id)).toEqual([defaultOrbit.id]);
    expect(
      (
        await scoped.post(`/v1/organizations/${ids.org}/invitations`, {
          email: 'x@corp.test',
          role: 'admin',
        })
      ).status,
    ).toBe(403);
  });

  it('lists every tenant route of the API in this test', async () => {
    const doc = await generateOpenApi();
    const covered = new Set(
      routes.map(
        (r) =>
          `${r.method} ${r.path
            .replace(ids.org, '{org}')
            .replace(ids.orbit, '{orbit}')
            .replace(/\/[0-9a-f-]{36}/g, '/{id}')}`,
      ),
    );
    const missing: string[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      if (!p.startsWith('/v1/organizations/{org}')) continue;
      for (const m of Object.keys(item)) {
        const key = `${m.toUpperCase()} ${p.replace(/\{(?!org\}|orbit\})[^}]+\}/g, '{id}')}`;
        if (!covered.has(key) && !TENANT_ROUTES_TESTED_ELSEWHERE.has(key)) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** Tenant routes whose tenancy is proven in their feature's own spec (named there). */
const TENANT_ROUTES_TESTED_ELSEWHERE = new Set<string>([
  // models: backend/src/models/models.e2e.spec.ts ('shows another organization nothing, on the OpenAI routes and the dashboard routes')
  'GET /v1/organizations/{org}/orbits/{orbit}/models',
  'POST /v1/organizations/{org}/orbits/{orbit}/models',
  'GET /v1/organizations/{org}/orbits/{orbit}/models/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/models/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/models/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/models/{id}',
  'GET /v1/organizations/{org}/model-usage',
  // storage backends: backend/src/storage/storage-backends.e2e.spec.ts ('denies every storage-backend route…')
  'GET /v1/organizations/{org}/storage-backends',
  'POST /v1/organizations/{org}/storage-backends',
  'POST /v1/organizations/{org}/storage-backends/test',
  'GET /v1/organizations/{org}/storage-backends/{id}',
  'PATCH /v1/organizations/{org}/storage-backends/{id}',
  'DELETE /v1/organizations/{org}/storage-backends/{id}',
  'POST /v1/organizations/{org}/storage-backends/{id}/test',
  // satellites, deployments, inference proxy: backend/src/satellites/satellites.e2e.spec.ts (tenancy describe)
  'GET /v1/organizations/{org}/orbits/{orbit}/satellites',
  'POST /v1/organizations/{org}/orbits/{orbit}/satellites',
  'GET /v1/organizations/{org}/orbits/{orbit}/satellites/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/satellites/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/satellites/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/satellites/{id}/key',
  'GET /v1/organizations/{org}/orbits/{orbit}/deployments',
  'POST /v1/organizations/{org}/orbits/{orbit}/deployments',
  'GET /v1/organizations/{org}/orbits/{orbit}/deployments/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/deployments/{id}',
  'GET /v1/organizations/{org}/orbits/{orbit}/deployments/{id}/logs',
  'POST /v1/organizations/{org}/orbits/{orbit}/deployments/{id}/stop',
  'POST /v1/organizations/{org}/orbits/{orbit}/deployments/{id}/redeploy',
  'POST /v1/organizations/{org}/orbits/{orbit}/deployments/{id}/predict',
  ...['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'SEARCH'].map(
    (m) => `${m} /v1/organizations/{org}/orbits/{orbit}/deployments/{id}/proxy/{id}`,
  ),
  // collections, artifacts, orbit secrets: backend/src/artifacts/registry-access.e2e.spec.ts
  'POST /v1/organizations/{org}/orbits/{orbit}/collections',
  'GET /v1/organizations/{org}/orbits/{orbit}/collections',
  'GET /v1/organizations/{org}/orbits/{orbit}/collections/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/collections/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/collections/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/collections/{id}/artifacts',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/upload/parts',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/upload',
  'POST /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/complete',
  'POST /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/abort',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/download-url',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/download',
  'POST /v1/organizations/{org}/orbits/{orbit}/secrets',
  'GET /v1/organizations/{org}/orbits/{orbit}/secrets',
  'GET /v1/organizations/{org}/orbits/{orbit}/secrets/{id}',
  'GET /v1/organizations/{org}/orbits/{orbit}/secrets/{id}/value',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/secrets/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/secrets/{id}',
  // tracks, lineage, model cards, compare, search, webhooks: backend/src/tracks/tracks.e2e.spec.ts (tenancy describe)
  'POST /v1/organizations/{org}/orbits/{orbit}/tracks',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/tracks/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/tracks/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/versions',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/versions',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/versions/{id}',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/compare',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/card',
  'PUT /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/card',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/aliases',
  'PUT /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/aliases/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/aliases/{id}',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/alias-history',
  'GET /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/alias-rules',
  'PUT /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/alias-rules/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/tracks/{id}/alias-rules/{id}',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/compare',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/lineage',
  'PUT /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/lineage',
  'GET /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/card',
  'PUT /v1/organizations/{org}/orbits/{orbit}/artifacts/{id}/card',
  'GET /v1/organizations/{org}/orbits/{orbit}/search',
  'POST /v1/organizations/{org}/orbits/{orbit}/webhooks',
  'GET /v1/organizations/{org}/orbits/{orbit}/webhooks',
  'GET /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}',
  'PATCH /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}',
  'DELETE /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}',
  'POST /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}/secret',
  'POST /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}/test',
  'GET /v1/organizations/{org}/orbits/{orbit}/webhooks/{id}/deliveries',
  'GET /v1/organizations/{org}/webhook-settings',
  'PUT /v1/organizations/{org}/webhook-settings',
]);
