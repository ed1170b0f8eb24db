import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { SATELLITE_DIR } from '../deployments/agent-harness.testing.js';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import { database, pairedSatellite } from './satellite-fixtures.js';

/**
 * Satellites and deployments through the API without an agent (the agent's part is in
 * deployments.e2e.spec.ts): CRUD, status, bad input, tenancy of every user route, and what a
 * satellite key can reach.
 */
let t: TestApp;
let owner: Awaited<ReturnType<typeof signupUser>>;
let ob: string;
let onnx: Buffer;
let artifactId: string;
let satA: Awaited<ReturnType<typeof pairedSatellite>>;
let deploymentId: string;

async function tinyOnnx(): Promise<Buffer> {
  const mod = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'testing', 'tiny-onnx.ts')
  )) as { encodeTinyOnnx(kind: 'linear'): Uint8Array };
  return Buffer.from(mod.encodeTinyOnnx('linear'));
}

async function counts() {
  const [r] = await database(t).query(
    `SELECT (SELECT count(*)::int FROM satellites) AS satellites, (SELECT count(*)::int FROM deployments) AS deployments,
            (SELECT count(*)::int FROM tasks) AS tasks, (SELECT count(*)::int FROM audit_events) AS audit`,
  );
  return r as Record<string, number>;
}

beforeAll(async () => {
  t = await startTestApp();
  owner = await signupUser(t.baseURL, 'sat-owner@corp.test');
  ob = `/v1/organizations/${owner.org.id}/orbits/${owner.orbit.id}`;
  onnx = await tinyOnnx();
  const reg = registry(owner.client, owner.org.id, owner.orbit.id);
  artifactId = (
    await reg.upload((await reg.collection()).id, onnx, { name: 'linear', fileName: 'linear.onnx' })
  ).id;
  satA = await pairedSatellite(owner.client, t.baseURL, owner.org.id, owner.orbit.id, {
    name: 'sat-a',
  });
  await owner.client.post(`${ob}/secrets`, { name: 'HF_TOKEN', value: 'hf-secret-value' });
  const d = await owner.client.post(`${ob}/deployments`, {
    artifactId,
    name: 'victim-deployment',
    secrets: { HF_TOKEN: 'HF_TOKEN' },
    env: { MODE: 'fast' },
  });
  if (d.status !== 201) throw new Error(`deployment: ${d.status} ${JSON.stringify(d.body)}`);
  deploymentId = d.body.id;
}, 60_000);
afterAll(async () => t?.close());

describe('satellites', () => {
  it('creates a satellite whose key is shown once and stored as a keyed hash', async () => {
    const c = await owner.client.post(`${ob}/satellites`, { name: 'gpu-1', description: 'rack 4' });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      name: 'gpu-1',
      paired: false,
      status: 'offline',
      capabilities: null,
      key: expect.stringMatching(/^sat_/),
    });
    expect(c.body.keyPrefix).toBe(c.body.key.slice(0, 8));
    const got = await owner.client.get(`${ob}/satellites/${c.body.id}`);
    expect(got.body.key).toBeUndefined();
    const listed = await owner.client.get(`${ob}/satellites`);
    expect(listed.body.map((s: { name: string }) => s.name)).toContain('gpu-1');
    expect(JSON.stringify(listed.body)).not.toContain(c.body.key);
    const [row] = await database(t).query('SELECT key_hash FROM satellites WHERE id = $1', [
      c.body.id,
    ]);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.key_hash).not.toContain(c.body.key.slice(4));
  });

  it('pairs with capabilities and derives active, stale and offline from the last heartbeat', async () => {
    const s = await owner.client.get(`${ob}/satellites/${satA.id}`);
    expect(s.body).toMatchObject({
      paired: true,
      status: 'active',
      version: 'test',
      capabilities: { formats: ['onnx', 'gguf'], maxConcurrency: 4, gpus: [] },
    });
    const db = database(t);
    await db.query(
      `UPDATE satellites SET last_heartbeat_at = now() - interval '2 minutes' WHERE id = $1`,
      [satA.id],
    );
    expect((await owner.client.get(`${ob}/satellites/${satA.id}`)).body.status).toBe('stale');
    await db.query(
      `UPDATE satellites SET last_heartbeat_at = now() - interval '10 minutes' WHERE id = $1`,
      [satA.id],
    );
    expect((await owner.client.get(`${ob}/satellites/${satA.id}`)).body.status).toBe('offline');
    // A heartbeat brings it back.
    expect((await satA.sat.post('/satellites/v1/heartbeat', { deployments: [] })).status).toBe(200);
    expect((await owner.client.get(`${ob}/satellites/${satA.id}`)).body.status).toBe('active');
  });

  it('renames, regenerates the key (the old one stops working) and refuses duplicates', async () => {
    const s = await pairedSatellite(owner.client, t.baseURL, owner.org.id, owner.orbit.id, {
      name: 'to-rename',
    });
    const r = await owner.client.patch(`${ob}/satellites/${s.id}`, { name: 'renamed' });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('renamed');
    expect((await owner.client.patch(`${ob}/satellites/${s.id}`, { name: 'sat-a' })).status).toBe(
      409,
    );
    const k = await owner.client.post(`${ob}/satellites/${s.id}/key`);
    expect(k.status).toBe(201);
    expect(k.body.key).not.toBe(s.key);
    expect((await s.sat.get('/satellites/v1/me')).status).toBe(401);
    expect((await http(t.baseURL, k.body.key).get('/satellites/v1/me')).body).toMatchObject({
      id: s.id,
      name: 'renamed',
    });
  });

  it('refuses to delete a satellite while deployments use it, deletes it afterwards', async () => {
    const s = await pairedSatellite(owner.client, t.baseURL, owner.org.id, owner.orbit.id, {
      name: 'busy',
    });
    const d = await owner.client.post(`${ob}/deployments`, {
      artifactId,
      name: 'on-busy',
      satelliteId: s.id,
    });
    expect(d.status).toBe(201);
    const del = await owner.client.delete(`${ob}/satellites/${s.id}`);
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('satellite_in_use');
    expect((await owner.client.delete(`${ob}/deployments/${d.body.id}?force=true`)).status).toBe(
      204,
    );
    expect((await owner.client.delete(`${ob}/satellites/${s.id}`)).status).toBe(204);
    expect((await s.sat.get('/satellites/v1/me')).status).toBe(401);
  });

  it('answers bad input with 4xx and creates nothing', async () => {
    const before = await counts();
    const bad: [string, unknown][] = [
      [`${ob}/satellites`, { name: '' }],
      [`${ob}/satellites`, { name: 'x', extra: 1 }],
      [`${ob}/deployments`, { artifactId, name: 'x', env: { 'BAD-NAME': 'v' } }],
      [`${ob}/deployments`, { artifactId, name: 'x', env: { OK: 1 } }],
      [`${ob}/deployments`, { artifactId, name: 'x', secrets: { TOKEN: 'NO_SUCH_SECRET' } }],
      [`${ob}/deployments`, { artifactId, name: 'x', resources: { gpus: -1 } }],
      [`${ob}/deployments`, { artifactId: 'not-a-uuid', name: 'x' }],
      [`${ob}/deployments`, { artifactId: '00000000-0000-4000-8000-000000000000', name: 'x' }],
      [
        `${ob}/deployments`,
        { artifactId, name: 'x', satelliteId: '00000000-0000-4000-8000-000000000000' },
      ],
      [`${ob}/deployments`, { artifactId, name: 'victim-deployment' }],
    ];
    for (const [p, body] of bad) {
      const r = await owner.client.post(p, body);
      expect(
        [400, 404, 409],
        `${p} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`,
      ).toContain(r.status);
      expect(Object.keys(r.body)).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
    }
    // Pairing with bad capabilities is refused too.
    for (const caps of [
      {},
      { runtimes: ['vm'] },
      { maxConcurrency: 0 },
      { gpus: [{ model: 'x' }] },
    ]) {
      const r = await satA.sat.post('/satellites/v1/pair', {
        baseUrl: 'http://127.0.0.1:1',
        version: 't',
        capabilities: {
          ...(Object.keys(caps).length
            ? {
                runtimes: ['process'],
                gpus: [],
                cpus: 1,
                memoryMb: 1,
                formats: ['onnx'],
                taskTypes: ['deploy'],
                maxConcurrency: 1,
              }
            : {}),
          ...caps,
        },
      });
      expect(r.status, JSON.stringify(caps)).toBe(400);
    }
    expect(
      (
        await satA.sat.post('/satellites/v1/pair', {
          baseUrl: 'not a url',
          version: 't',
          capabilities: {},
        })
      ).status,
    ).toBe(400);
    // An unpaired satellite, or one that cannot serve the format, is refused.
    const unpaired = await owner.client.post(`${ob}/satellites`, { name: 'unpaired' });
    expect(
      (
        await owner.client.post(`${ob}/deployments`, {
          artifactId,
          name: 'x',
          satelliteId: unpaired.body.id,
        })
      ).body.code,
    ).toBe('satellite_not_paired');
    await owner.client.delete(`${ob}/satellites/${unpaired.body.id}`);
    const ggufOnly = await pairedSatellite(owner.client, t.baseURL, owner.org.id, owner.orbit.id, {
      name: 'gguf-only',
      capabilities: { formats: ['gguf'] },
    });
    expect(
      (
        await owner.client.post(`${ob}/deployments`, {
          artifactId,
          name: 'x',
          satelliteId: ggufOnly.id,
        })
      ).body.code,
    ).toBe('satellite_cannot_serve');
    await owner.client.delete(`${ob}/satellites/${ggufOnly.id}`);
    const after = await counts();
    expect({ deployments: after.deployments, tasks: after.tasks }).toEqual({
      deployments: before.deployments,
      tasks: before.tasks,
    });
    // Another orbit without satellites: nobody can take it.
    const other = await owner.client.post(`/v1/organizations/${owner.org.id}/orbits`, {
      name: 'empty-orbit',
    });
    const reg = registry(owner.client, owner.org.id, other.body.id);
    const art = await reg.upload((await reg.collection()).id, onnx, {
      name: 'm',
      fileName: 'm.onnx',
    });
    const none = await owner.client.post(
      `/v1/organizations/${owner.org.id}/orbits/${other.body.id}/deployments`,
      { artifactId: art.id, name: 'x' },
    );
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('no_satellite_available');
    // An artifact of another orbit is not found from this one.
    expect(
      (await owner.client.post(`${ob}/deployments`, { artifactId: art.id, name: 'x' })).status,
    ).toBe(404);
  });
});

describe('satellite keys', () => {
  it('reach the deployments, artifacts and secrets of their own satellite', async () => {
    const spec = await satA.sat.get(`/satellites/v1/deployments/${deploymentId}`);
    expect(spec.status).toBe(200);
    expect(spec.body).toMatchObject({
      id: deploymentId,
      format: 'onnx',
      size: onnx.length,
      env: { MODE: 'fast' },
      secretEnv: ['HF_TOKEN'],
    });
    const url = await satA.sat.get(`/satellites/v1/deployments/${deploymentId}/artifact-url`);
    expect(url.body).toMatchObject({ sha256: spec.body.sha256, size: onnx.length, format: 'onnx' });
    const bytes = Buffer.from(await (await fetch(url.body.url)).arrayBuffer());
    expect(bytes.equals(onnx)).toBe(true);
    const secrets = await satA.sat.get(`/satellites/v1/deployments/${deploymentId}/secrets`);
    expect(secrets.body).toEqual({ env: { HF_TOKEN: 'hf-secret-value' } });
    // The user's view names the secret, never its value.
    const d = await owner.client.get(`${ob}/deployments/${deploymentId}`);
    expect(d.body.secrets).toEqual({ HF_TOKEN: 'HF_TOKEN' });
    expect(JSON.stringify(d.body)).not.toContain('hf-secret-value');
    const placed = await satA.sat.get('/satellites/v1/deployments');
    expect(placed.body).toContainEqual({ id: deploymentId, status: 'pending', wanted: true });
  });

  it('marks an active deployment not_responding from heartbeats, and active again when healthy', async () => {
    const db = database(t);
    await db.query(
      `UPDATE deployments SET status = 'active', inference_url = 'http://127.0.0.1:1/deployments/x' WHERE id = $1`,
      [deploymentId],
    );
    const sick = await satA.sat.post('/satellites/v1/heartbeat', {
      deployments: [
        {
          id: deploymentId,
          healthy: false,
          state: 'exited',
          error: 'process exited',
          logs: ['loading', 'segfault'],
        },
      ],
    });
    expect(sick.status).toBe(200);
    let d = (await owner.client.get(`${ob}/deployments/${deploymentId}`)).body;
    expect(d).toMatchObject({
      status: 'not_responding',
      health: { healthy: false, state: 'exited' },
    });
    expect(d.statusReason).toContain('segfault');
    expect((await owner.client.get(`${ob}/deployments/${deploymentId}/logs`)).body.lines).toEqual([
      'loading',
      'segfault',
    ]);
    await satA.sat.post('/satellites/v1/heartbeat', {
      deployments: [{ id: deploymentId, healthy: true, state: 'running' }],
    });
    d = (await owner.client.get(`${ob}/deployments/${deploymentId}`)).body;
    expect(d).toMatchObject({ status: 'active', statusReason: null, health: { healthy: true } });
    // A satellite that goes quiet: the API marks its active deployments not_responding.
    await db.query(
      `UPDATE deployments SET last_health_at = now() - interval '10 minutes' WHERE id = $1`,
      [deploymentId],
    );
    expect(await t.app.get(DeploymentsService).markStale()).toBeGreaterThanOrEqual(1);
    expect((await owner.client.get(`${ob}/deployments/${deploymentId}`)).body.status).toBe(
      'not_responding',
    );
    await db.query(
      `UPDATE deployments SET status = 'pending', inference_url = NULL, health = NULL, logs = '[]', status_reason = NULL WHERE id = $1`,
      [deploymentId],
    );
  });

  it('reach nothing of another satellite, orbit or organization', async () => {
    const sameOrbit = await pairedSatellite(owner.client, t.baseURL, owner.org.id, owner.orbit.id, {
      name: 'neighbour',
    });
    const stranger = await signupUser(t.baseURL, 'sat-stranger@else.test');
    const foreign = await pairedSatellite(
      stranger.client,
      t.baseURL,
      stranger.org.id,
      stranger.orbit.id,
      { name: 'foreign' },
    );
    const before = await owner.client.get(`${ob}/deployments/${deploymentId}`);
    for (const other of [sameOrbit, foreign]) {
      for (const p of ['', '/artifact-url', '/secrets']) {
        const r = await other.sat.get(`/satellites/v1/deployments/${deploymentId}${p}`);
        expect(r.status, p).toBe(404);
        expect(JSON.stringify(r.body)).not.toContain('hf-secret-value');
      }
      expect(
        (
          await other.sat.post(`/satellites/v1/deployments/${deploymentId}/report`, {
            phase: 'healthy',
          })
        ).status,
      ).toBe(404);
      const hb = await other.sat.post('/satellites/v1/heartbeat', {
        deployments: [{ id: deploymentId, healthy: false, state: 'exited', logs: ['pwned'] }],
      });
      expect(hb.status).toBe(200);
      expect(hb.body.deployments.map((x: { id: string }) => x.id)).not.toContain(deploymentId);
      const auth = await other.sat.post('/satellites/v1/authorize', {
        token: owner.token,
        deploymentId,
      });
      expect(auth.body.allowed).toBe(false);
      expect(
        (await other.sat.post('/satellites/v1/tasks/claim', { waitMs: 0 })).body.task,
      ).toBeNull();
    }
    // The registry's own satellite-readable route stays within the satellite's orbit.
    expect((await foreign.sat.get(`${ob}/artifacts/${artifactId}/download-url`)).status).toBe(404);
    const after = await owner.client.get(`${ob}/deployments/${deploymentId}`);
    expect(after.body.phases).toEqual(before.body.phases);
    expect((await owner.client.get(`${ob}/deployments/${deploymentId}/logs`)).body.lines).toEqual(
      [],
    );
    // Satellite keys are not user credentials.
    for (const p of [ob, `${ob}/deployments`, `${ob}/satellites`]) {
      expect((await satA.sat.get(p)).status, p).toBe(403);
    }
    expect((await satA.sat.post(`${ob}/deployments/${deploymentId}/predict`, {})).status).toBe(403);
  });

  it('authorizes direct inference only for users who may read the deployment', async () => {
    const ok = await satA.sat.post('/satellites/v1/authorize', {
      token: owner.token,
      deploymentId,
    });
    expect(ok.body).toEqual({ allowed: true, ttlSec: 10 });
    const key = (await owner.client.post('/v1/users/me/api-keys', { name: 'k' })).body.key;
    expect(
      (await satA.sat.post('/satellites/v1/authorize', { token: key, deploymentId })).body.allowed,
    ).toBe(true);
    const outsider = await signupUser(t.baseURL, 'sat-outsider@else.test');
    expect(
      (await satA.sat.post('/satellites/v1/authorize', { token: outsider.token, deploymentId }))
        .body.allowed,
    ).toBe(false);
    expect(
      (await satA.sat.post('/satellites/v1/authorize', { token: 'garbage', deploymentId })).body
        .allowed,
    ).toBe(false);
    expect(
      (await satA.sat.post('/satellites/v1/authorize', { token: satA.key, deploymentId })).body
        .allowed,
    ).toBe(false);
    expect(
      (await owner.client.post('/satellites/v1/authorize', { token: owner.token, deploymentId }))
        .status,
    ).toBe(403);
  });
});

describe('inference proxy', () => {
  it('streams SSE answers as they are produced and request bodies unparsed, beyond the JSON limit', async () => {
    const { createServer } = await import('node:http');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: { path: string; bytes: number; auth: string | undefined }[] = [];
    const upstream = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', bytes, auth: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"n":1}\n\n');
        void released.then(() => res.end('data: [DONE]\n\n'));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as { port: number }).port;
    try {
      await database(t).query(
        `UPDATE deployments SET status = 'active', inference_url = $2 WHERE id = $1`,
        [deploymentId, `http://127.0.0.1:${port}/deployments/${deploymentId}`],
      );
      const big = Buffer.alloc(3 * 1024 * 1024, 'x');
      const res = await fetch(
        `${t.baseURL}${ob}/deployments/${deploymentId}/proxy/v1/chat/completions?stream=true`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
          body: big,
        },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const first = await reader.read();
      // The first event arrived while the upstream is still holding the stream open.
      expect(new TextDecoder().decode(first.value)).toContain('"n":1');
      release();
      let rest = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        rest += new TextDecoder().decode(chunk.value);
      }
      expect(rest).toContain('[DONE]');
      expect(seen[0]).toMatchObject({
        path: `/deployments/${deploymentId}/v1/chat/completions?stream=true`,
        bytes: big.length,
        auth: `Bearer ${owner.token}`,
      });
      // Stopped: not proxied any more (the API forgets its cached route at once).
      expect((await owner.client.post(`${ob}/deployments/${deploymentId}/stop`)).status).toBe(202);
      const after = await owner.client.post(`${ob}/deployments/${deploymentId}/predict`, {
        inputs: {},
      });
      expect(after.status).toBe(409);
      expect(after.body.code).toBe('deployment_not_active');
    } finally {
      release();
      await database(t).query(
        `UPDATE deployments SET status = 'pending', inference_url = NULL WHERE id = $1`,
        [deploymentId],
      );
      await database(t).query(
        `UPDATE tasks SET status = 'cancelled' WHERE deployment_id = $1 AND status = 'pending'`,
        [deploymentId],
      );
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });
});

describe('tenancy of satellite and deployment routes', () => {
  let routes: { method: string; path: string; body?: unknown }[];

  beforeAll(() => {
    const s = `${ob}/satellites/${satA.id}`;
    const d = `${ob}/deployments/${deploymentId}`;
    routes = [
      { method: 'GET', path: `${ob}/satellites` },
      { method: 'POST', path: `${ob}/satellites`, body: { name: 'intruder' } },
      { method: 'GET', path: s },
      { method: 'PATCH', path: s, body: { name: 'pwned' } },
      { method: 'DELETE', path: s },
      { method: 'POST', path: `${s}/key` },
      { method: 'GET', path: `${ob}/deployments` },
      { method: 'POST', path: `${ob}/deployments`, body: { artifactId, name: 'intruder' } },
      { method: 'GET', path: d },
      { method: 'DELETE', path: `${d}?force=true` },
      { method: 'GET', path: `${d}/logs` },
      { method: 'POST', path: `${d}/stop` },
      { method: 'POST', path: `${d}/redeploy` },
      { method: 'POST', path: `${d}/predict`, body: { inputs: {} } },
      { method: 'POST', path: `${d}/proxy/v1/chat/completions`, body: {} },
      ...['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'SEARCH'].map((method) => ({
        method,
        path: `${d}/proxy/schema`,
      })),
    ];
  });

  async function expectDeniedEverywhere(client: Http) {
    const before = await counts();
    for (const r of routes) {
      const res = await client.call(r.method, r.path, r.body);
      expect(
        [403, 404],
        `${r.method} ${r.path} → ${res.status} ${JSON.stringify(res.body)}`,
      ).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain('victim-deployment');
      expect(JSON.stringify(res.body)).not.toContain('sat-a');
    }
    // Not a row written anywhere, audit events included.
    expect(await counts()).toEqual(before);
  }

  it('denies a user of another organization on every route, changing nothing', async () => {
    const outsider = await signupUser(t.baseURL, 'tenancy-outsider@else.test');
    await expectDeniedEverywhere(outsider.client);
  });

  it('denies an API key of another organization on every route', async () => {
    const outsider = await signupUser(t.baseURL, 'tenancy-key@else.test');
    const key = await outsider.client.post('/v1/users/me/api-keys', { name: 'k' });
    await expectDeniedEverywhere(http(t.baseURL, key.body.key));
  });

  it('denies an organization member who is not in the orbit', async () => {
    const member = await signupUser(t.baseURL, 'tenancy-member@corp.test');
    const inv = await owner.client.post(`/v1/organizations/${owner.org.id}/invitations`, {
      email: 'tenancy-member@corp.test',
      role: 'member',
    });
    expect(
      (await member.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status,
    ).toBe(204);
    await expectDeniedEverywhere(member.client);
  });

  it('denies a key scoped to another orbit of the same organization', async () => {
    const other = await owner.client.post(`/v1/organizations/${owner.org.id}/orbits`, {
      name: 'scoped-elsewhere',
    });
    const key = await owner.client.post('/v1/users/me/api-keys', {
      name: 'scoped',
      orbitId: other.body.id,
    });
    await expectDeniedEverywhere(http(t.baseURL, key.body.key));
  });
});
