import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { database } from '../satellites/satellite-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import {
  SATELLITE_DIR,
  ensureSatelliteBuilt,
  modelServerPids,
  satelliteModels,
  startAgent,
  tcpForwarder,
  waitFor,
  type AgentProcess,
  type SatelliteModels,
} from './agent-harness.testing.js';

/**
 * End to end with the real agent (`satellite/dist/cli.js`, process runtime) and real model
 * servers: upload a generated ONNX model, deploy, predict through the API, fail, stop, delete,
 * kill the agent mid-deploy, restart the API under a long-polling agent.
 */
let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let reg: ReturnType<typeof registry>;
let models: SatelliteModels;
let tmp: string;
let fwd: Awaited<ReturnType<typeof tcpForwarder>>;
let agent: AgentProcess;
let satKey: string;
let satId: string;
let linearId: string;
let apiKey: string;
const agents: AgentProcess[] = [];
/** `deployment.status_changed` deliveries received by the orbit's webhook, in order. */
const statusEvents: { deploymentId: string; status: string }[] = [];
let receiver: Server;
const X = [
  [1, 2, 3, 4],
  [0.5, -1, 0, 2],
];

function base() {
  return `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
}

function launch(): AgentProcess {
  const a = startAgent({
    apiUrl: `http://127.0.0.1:${fwd.port}`,
    key: satKey,
    dataDir: path.join(tmp, 'satellite'),
  });
  agents.push(a);
  return a;
}

async function deployment(id: string, client: Http = u.client) {
  return (await client.get(`${base()}/deployments/${id}`)).body;
}

async function until(id: string, statuses: string[], timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const d = await deployment(id);
      return statuses.includes(d.status) ? d : null;
    },
    timeoutMs,
    `deployment ${id} to be ${statuses.join('|')}`,
  );
}

async function uploadOnnx(name: string, bytes: Buffer): Promise<string> {
  const col = await reg.collection();
  const a = await reg.upload(col.id, bytes, { name, fileName: `${name}.onnx` });
  expect(a.format).toBe('onnx');
  return a.id;
}

beforeAll(async () => {
  await ensureSatelliteBuilt();
  models = await satelliteModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-deploy-e2e-'));
  t = await startTestApp({ APOGEE_WEBHOOKS_ALLOW_PRIVATE: 'true' });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const e = JSON.parse(body) as {
        type?: string;
        event?: string;
        data: { deploymentId: string; status: string };
      };
      if ((e.type ?? e.event) === 'deployment.status_changed') statusEvents.push(e.data);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  fwd = await tcpForwarder(Number(new URL(t.baseURL).port));
  u = await signupUser(t.baseURL, 'deployer@example.com');
  reg = registry(u.client, u.org.id, u.orbit.id);
  apiKey = (await u.client.post('/v1/users/me/api-keys', { name: 'inference' })).body.key;
  const hook = await u.client.post(`${base()}/webhooks`, {
    name: 'status',
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    events: ['deployment.status_changed'],
  });
  expect(hook.status).toBe(201);
  const s = await u.client.post(`${base()}/satellites`, { name: 'e2e' });
  satKey = s.body.key;
  satId = s.body.id;
  agent = launch();
  await waitFor(
    async () =>
      (await u.client.get(`${base()}/satellites/${satId}`)).body.status === 'active' || null,
    30_000,
    'the satellite to pair',
  );
  linearId = await uploadOnnx('linear', Buffer.from(models.encodeTinyOnnx('linear')));
}, 180_000);

afterAll(async () => {
  for (const a of agents) await a.kill('SIGKILL');
  // Model servers outlive agents by design: stop the ones this file started.
  const ids: { id: string }[] = t
    ? await database(t)
        .query('SELECT id FROM deployments')
        .catch(() => [])
    : [];
  for (const { id } of ids) for (const pid of modelServerPids(id)) process.kill(-pid, 'SIGKILL');
  await fwd?.close();
  await t?.close();
  receiver?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('deployments end to end (process runtime)', () => {
  let depId: string;

  it('deploys an uploaded ONNX model and reports every phase', async () => {
    const sat = await u.client.get(`${base()}/satellites/${satId}`);
    expect(sat.body).toMatchObject({
      paired: true,
      status: 'active',
      capabilities: { runtimes: ['process'], formats: ['onnx', 'gguf'] },
    });
    const c = await u.client.post(`${base()}/deployments`, {
      artifactId: linearId,
      name: 'linear',
      env: { APOGEE_LOG_LEVEL: 'info' },
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      status: 'pending',
      satelliteId: satId,
      format: 'onnx',
      phases: { queued: expect.any(String) },
    });
    depId = c.body.id;
    const d = await until(depId, ['active', 'failed']);
    expect(d.status, d.statusReason).toBe('active');
    expect(d).toMatchObject({
      runtime: 'process',
      inferenceUrl: expect.stringMatching(new RegExp(`/deployments/${depId}$`)),
      health: { healthy: true },
    });
    const p = d.phases;
    for (const phase of ['queued', 'claimed', 'downloaded', 'started', 'healthy'])
      expect(p[phase], phase).toEqual(expect.any(String));
    const order = ['queued', 'claimed', 'downloaded', 'started', 'healthy'].map((k) =>
      Date.parse(p[k]),
    );
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(JSON.stringify(d.schema)).toContain('predict');
    expect(modelServerPids(depId)).toHaveLength(1);
    // The orbit's webhook heard each status change of this deployment once (delivery order may vary).
    await waitFor(
      async () =>
        statusEvents.some((e) => e.deploymentId === depId && e.status === 'active') || null,
      30_000,
      'the deployment.status_changed webhook for active',
    );
    expect(
      statusEvents
        .filter((e) => e.deploymentId === depId)
        .map((e) => e.status)
        .sort(),
    ).toEqual(['active', 'deploying']);
  }, 90_000);

  it('predicts through the API proxy with the numbers the graph computes', async () => {
    const res = await fetch(`${t.baseURL}${base()}/deployments/${depId}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { x: X } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { y: { dims: number[]; data: number[][] } } };
    expect(body.outputs.y.dims).toEqual([2, 2]);
    expect(body.outputs.y.data).toEqual(models.tinyLinearReference(X));
    // The generic pass-through reaches any path of the model server.
    const schema = await u.client.get(`${base()}/deployments/${depId}/proxy/schema`);
    expect(schema.status).toBe(200);
    const bad = await u.client.post(`${base()}/deployments/${depId}/predict`, {
      inputs: { x: [[1, 2]] },
    });
    expect(bad.status).toBe(400);
  });

  it('serves direct calls at the satellite only for keys the platform allows', async () => {
    const d = await deployment(depId);
    const direct = (token?: string) =>
      fetch(`${d.inferenceUrl}/predict`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ inputs: { x: X } }),
      });
    expect((await direct(apiKey)).status).toBe(200);
    expect((await direct()).status).toBe(401);
    const outsider = await signupUser(t.baseURL, 'outsider-direct@example.com');
    const outsiderKey = (await outsider.client.post('/v1/users/me/api-keys', { name: 'x' })).body
      .key;
    expect((await direct(outsiderKey)).status).toBe(403);
    expect((await direct(satKey)).status).toBe(403);
    // Revocation is honoured within the satellite's cache TTL (10 s).
    const k = await u.client.post('/v1/users/me/api-keys', { name: 'short-lived' });
    expect((await direct(k.body.key)).status).toBe(200);
    await u.client.delete(`/v1/users/me/api-keys/${k.body.id}`);
    await waitFor(
      async () => (await direct(k.body.key)).status === 403 || null,
      15_000,
      'the revoked key to be refused',
      500,
    );
  }, 30_000);

  it('returns the model server’s last log lines', async () => {
    const logs = await waitFor(async () => {
      const r = await u.client.get(`${base()}/deployments/${depId}/logs?lines=20`);
      return r.body.lines.length ? r.body : null;
    });
    expect(logs.lines.join('\n')).toContain('"path":"/predict"');
    expect(logs.lines.length).toBeLessThanOrEqual(20);
  });

  it('fails a model that cannot load, with its last log lines as the reason, and leaves nothing running', async () => {
    const bytes = Buffer.from(models.encodeTinyOnnx('linear'));
    const i = bytes.indexOf('MatMul');
    bytes.write('NoSuch', i, 'latin1');
    const broken = await uploadOnnx('broken', bytes);
    const c = await u.client.post(`${base()}/deployments`, { artifactId: broken, name: 'broken' });
    expect(c.status).toBe(201);
    const d = await until(c.body.id, ['failed', 'active']);
    expect(d.status).toBe('failed');
    expect(d.statusReason).toContain('last log lines');
    expect(d.statusReason).toMatch(/NoSuch|failed to load/);
    expect(d.lastTask).toMatchObject({ type: 'deploy', status: 'failed', attempt: 1 });
    expect(modelServerPids(c.body.id)).toEqual([]);
    expect((await u.client.delete(`${base()}/deployments/${c.body.id}?force=true`)).status).toBe(
      204,
    );
  }, 60_000);

  it('stops, redeploys, and deletes through undeploy tasks', async () => {
    const s = await u.client.post(`${base()}/deployments/${depId}/stop`);
    expect(s.status).toBe(202);
    expect(s.body.status).toBe('stopping');
    await until(depId, ['stopped']);
    expect(modelServerPids(depId)).toEqual([]);
    const r = await u.client.post(`${base()}/deployments/${depId}/redeploy`);
    // On PostgreSQL the agent's long poll is woken at once and may already have claimed it.
    expect(['pending', 'deploying']).toContain(r.body.status);
    await until(depId, ['active']);
    expect(modelServerPids(depId)).toHaveLength(1);
    // The artifact cannot go while a deployment serves it.
    expect((await u.client.delete(`${base()}/artifacts/${linearId}`)).status).toBe(409);
    const del = await u.client.delete(`${base()}/deployments/${depId}`);
    expect(del.status).toBe(202);
    await waitFor(
      async () => (await u.client.get(`${base()}/deployments/${depId}`)).status === 404 || null,
      30_000,
      'the deployment to be deleted',
    );
    expect(modelServerPids(depId)).toEqual([]);
  }, 90_000);

  it('removes the model of a force-deleted deployment', async () => {
    const c = await u.client.post(`${base()}/deployments`, {
      artifactId: linearId,
      name: 'forced',
    });
    await until(c.body.id, ['active']);
    expect(modelServerPids(c.body.id)).toHaveLength(1);
    expect((await u.client.delete(`${base()}/deployments/${c.body.id}?force=true`)).status).toBe(
      204,
    );
    expect((await u.client.get(`${base()}/deployments/${c.body.id}`)).status).toBe(404);
    await waitFor(
      async () => modelServerPids(c.body.id).length === 0 || null,
      20_000,
      'the orphan to be removed',
    );
  }, 60_000);

  it('drives a deployment through @apogee/sdk and the apogee CLI', async () => {
    const sdkDir = path.join(SATELLITE_DIR, '..', 'sdk', 'src');
    const { Apogee } = (await import(/* @vite-ignore */ path.join(sdkDir, 'index.ts'))) as {
      Apogee: new (o: object) => any;
    };
    const client = new Apogee({ apiKey, baseURL: t.baseURL, maxRetries: 0 });
    const org = u.org.id as string;
    const orbit = u.orbit.id as string;
    const sats = await client.satellites.list(org, orbit).toArray();
    expect(sats.map((s: { id: string }) => s.id)).toContain(satId);
    const created = await client.deployments.create(org, orbit, {
      artifactId: linearId,
      name: 'via-sdk',
    });
    const active = await client.deployments.waitUntilActive(org, orbit, created.id, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(active.status).toBe('active');
    const out = await client.deployments.predict(org, orbit, created.id, { inputs: { x: X } });
    expect(out.outputs.y.data).toEqual(models.tinyLinearReference(X));
    const logs = await client.deployments.logs(org, orbit, created.id, { lines: 5 });
    expect(Array.isArray(logs.lines)).toBe(true);

    // The CLI: `apogee deploy ARTIFACT --satellite S` and `apogee predict DEPLOYMENT --input JSON`.
    const { main } = (await import(/* @vite-ignore */ path.join(sdkDir, 'cli', 'main.ts'))) as {
      main(argv: string[], io: object): Promise<number>;
    };
    const out2: string[] = [];
    const io = {
      stdout: { write: (s: string) => out2.push(s) },
      stderr: { write: (s: string) => out2.push(s) },
      home: path.join(tmp, 'cli-home'),
    };
    const common = ['--base-url', t.baseURL, '--api-key', apiKey];
    const where = ['--org', org, '--orbit', orbit];
    expect(
      await main(
        [
          ...common,
          '--json',
          'deploy',
          'linear',
          ...where,
          '--satellite',
          'e2e',
          '--name',
          'via-cli',
        ],
        io,
      ),
      out2.join(''),
    ).toBe(0);
    const deployed = JSON.parse(out2.join('')) as { id: string; status: string };
    expect(deployed.status).toBe('active');
    out2.length = 0;
    expect(
      await main(
        [
          ...common,
          'predict',
          'via-cli',
          ...where,
          '--input',
          JSON.stringify({ inputs: { x: X } }),
        ],
        io,
      ),
      out2.join(''),
    ).toBe(0);
    expect(JSON.parse(out2.join('')).outputs.y.data).toEqual(models.tinyLinearReference(X));
    await client.deployments.delete(org, orbit, created.id, { force: true });
    await client.deployments.delete(org, orbit, deployed.id, { force: true });
  }, 90_000);

  it('runs a deploy again after the agent is killed mid-way, leaving one model server', async () => {
    const c = await u.client.post(`${base()}/deployments`, {
      artifactId: linearId,
      name: 'killed',
    });
    const id = c.body.id as string;
    // Kill the agent once the model server was started but before the task reported.
    await waitFor(
      async () => (await deployment(id)).phases.started || null,
      30_000,
      'the model to start',
      10,
    );
    await agent.kill('SIGKILL');
    const mid = await deployment(id);
    expect(mid.status).toBe('deploying');
    expect(modelServerPids(id)).toHaveLength(1);
    agent = launch();
    const d = await until(id, ['active', 'failed'], 60_000);
    expect(d.status, d.statusReason).toBe('active');
    expect(d.lastTask).toMatchObject({ type: 'deploy', status: 'succeeded', attempt: 2 });
    expect(modelServerPids(id)).toHaveLength(1);
    const res = await fetch(`${t.baseURL}${base()}/deployments/${id}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { x: X } }),
    });
    expect(((await res.json()) as { outputs: { y: { data: number[][] } } }).outputs.y.data).toEqual(
      models.tinyLinearReference(X),
    );
  }, 90_000);

  it('restarts an active deployment whose model server is gone when the agent starts again', async () => {
    const c = await u.client.post(`${base()}/deployments`, {
      artifactId: linearId,
      name: 'restored',
    });
    await until(c.body.id, ['active']);
    const [before] = modelServerPids(c.body.id);
    // The host "reboots": agent and model server die together.
    await agent.kill('SIGKILL');
    process.kill(-before!, 'SIGKILL');
    await waitFor(
      async () => modelServerPids(c.body.id).length === 0 || null,
      10_000,
      'the model server to die',
    );
    agent = launch();
    const [after] = await waitFor(
      async () => {
        const pids = modelServerPids(c.body.id);
        return pids.length ? pids : null;
      },
      30_000,
      'the model server to be restarted',
    );
    expect(after).not.toBe(before);
    await waitFor(
      async () => (await deployment(c.body.id)).health?.healthy || null,
      30_000,
      'a healthy heartbeat',
    );
    const res = await u.client.post(`${base()}/deployments/${c.body.id}/predict`, {
      inputs: { x: X },
    });
    expect(res.status).toBe(200);
    expect((await deployment(c.body.id)).status).toBe('active');
    expect(modelServerPids(c.body.id)).toHaveLength(1);
  }, 90_000);

  it('keeps working after the API restarts under a long-polling agent', async () => {
    // Let the agent settle into a long poll, then restart the API behind the same URL.
    await new Promise((r) => setTimeout(r, 1_000));
    t = await t.restart();
    fwd.retarget(Number(new URL(t.baseURL).port));
    u = { ...u, client: http(t.baseURL, u.token) };
    const c = await u.client.post(`${base()}/deployments`, {
      artifactId: linearId,
      name: 'after-restart',
    });
    expect(c.status).toBe(201);
    const d = await until(c.body.id, ['active', 'failed']);
    expect(d.status, d.statusReason).toBe('active');
    expect(agent.proc.exitCode).toBeNull();
  }, 90_000);

  it('drains on SIGTERM and exits 0', async () => {
    const code = await agent.kill('SIGTERM');
    expect(code).toBe(0);
    expect(agent.output.join('\n')).toContain('satellite stopped');
  }, 30_000);
});
