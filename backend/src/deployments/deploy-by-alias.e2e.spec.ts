import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { database } from '../satellites/satellite-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser } from '../testing/http.js';
import {
  ensureSatelliteBuilt,
  modelServerPids,
  satelliteModels,
  startAgent,
  waitFor,
  type AgentProcess,
  type SatelliteModels,
} from './agent-harness.testing.js';

/**
 * Deploy by alias end to end, with the real agent (process runtime) and real model servers: a
 * deployment follows `track@production`; moving the alias to version 2 switches the same
 * deployment id to the new model with no failed request through the API's predict proxy.
 */
let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let models: SatelliteModels;
let tmp: string;
let agent: AgentProcess;
let apiKey: string;
let trackId: string;
const X = [[1, 2, 3, 4]];
/** Version 2's bias is version 1's plus this (see {@link shiftedBias}). */
const SHIFT = 10;

function base() {
  return `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
}

/** The tiny linear ONNX model with its bias `b` shifted by {@link SHIFT}: different numbers. */
function shiftedBias(bytes: Uint8Array): Buffer {
  const buf = Buffer.from(bytes);
  const b = Buffer.alloc(8);
  b.writeFloatLE(0.1, 0);
  b.writeFloatLE(-0.2, 4);
  const at = buf.indexOf(b);
  expect(at).toBeGreaterThan(0);
  expect(buf.indexOf(b, at + 1)).toBe(-1);
  buf.writeFloatLE(0.1 + SHIFT, at);
  buf.writeFloatLE(-0.2 + SHIFT, at + 4);
  return buf;
}

async function predict(id: string): Promise<{ status: number; y: number[][] | null }> {
  const res = await fetch(`${t.baseURL}${base()}/deployments/${id}/predict`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { x: X } }),
  });
  const body = (await res.json().catch(() => null)) as {
    outputs?: { y?: { data?: number[][] } };
  } | null;
  return { status: res.status, y: body?.outputs?.y?.data ?? null };
}

beforeAll(async () => {
  await ensureSatelliteBuilt();
  models = await satelliteModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-alias-e2e-'));
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'alias-deployer@example.com');
  apiKey = (await u.client.post('/v1/users/me/api-keys', { name: 'inference' })).body.key;
  const s = await u.client.post(`${base()}/satellites`, { name: 'alias-e2e' });
  agent = startAgent({
    apiUrl: t.baseURL,
    key: s.body.key,
    dataDir: path.join(tmp, 'satellite'),
  });
  await waitFor(
    async () =>
      (await u.client.get(`${base()}/satellites/${s.body.id}`)).body.status === 'active' || null,
    30_000,
    'the satellite to pair',
  );
  const reg = registry(u.client, u.org.id, u.orbit.id);
  const col = await reg.collection();
  const v1 = Buffer.from(models.encodeTinyOnnx('linear'));
  const a1 = await reg.upload(col.id, v1, { name: 'linear-v1', fileName: 'v1.onnx' });
  const a2 = await reg.upload(col.id, shiftedBias(v1), { name: 'linear-v2', fileName: 'v2.onnx' });
  const tr = await u.client.post(`${base()}/tracks`, { name: 'scorer' });
  expect(tr.status).toBe(201);
  trackId = tr.body.id;
  for (const a of [a1, a2])
    expect(
      (await u.client.post(`${base()}/tracks/${trackId}/versions`, { artifactId: a.id })).status,
    ).toBe(201);
  const moved = await u.client.put(`${base()}/tracks/${trackId}/aliases/production`, {
    version: 1,
  });
  expect(moved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await agent?.kill('SIGKILL');
  const ids: { id: string }[] = t
    ? await database(t)
        .query('SELECT id FROM deployments')
        .catch(() => [])
    : [];
  for (const { id } of ids) for (const pid of modelServerPids(id)) process.kill(-pid, 'SIGKILL');
  await t?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('deploy by alias (process runtime)', () => {
  it('refuses to follow an alias that does not exist, creating nothing', async () => {
    const before = (await u.client.get(`${base()}/deployments`)).body.length;
    const r = await u.client.post(`${base()}/deployments`, {
      name: 'nope',
      track: 'scorer',
      alias: 'staging',
    });
    expect(r.status).toBe(404);
    const r2 = await u.client.post(`${base()}/deployments`, {
      name: 'nope',
      track: 'no-such-track',
      alias: 'production',
    });
    expect(r2.status).toBe(404);
    const both = await u.client.post(`${base()}/deployments`, {
      name: 'nope',
      track: 'scorer',
      alias: 'production',
      artifactId: '00000000-0000-4000-8000-000000000000',
    });
    expect(both.status).toBe(400);
    expect((await u.client.get(`${base()}/deployments`)).body.length).toBe(before);
    expect(await database(t).query(`SELECT id FROM deployments WHERE name = 'nope'`)).toEqual([]);
  });

  it('switches a deployment following @production to the new version with no failed request', async () => {
    const v1 = models.tinyLinearReference(X);
    const v2 = v1.map((row) => row.map((v) => Math.fround(v + SHIFT)));
    const created = await u.client.post(`${base()}/deployments`, {
      name: 'scorer-prod',
      track: 'scorer',
      alias: 'production',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ trackId, alias: 'production' });
    const id: string = created.body.id;
    await waitFor(
      async () =>
        (await u.client.get(`${base()}/deployments/${id}`)).body.status === 'active' || null,
      90_000,
      'the deployment to be active',
    );
    expect((await predict(id)).y).toEqual(v1);
    expect((await u.client.delete(`${base()}/tracks/${trackId}`)).body.code ?? 'deleted').toBe(
      'track_deployed',
    );

    // Requests throughout the switch, one after another every ~25 ms.
    const seen: ('v1' | 'v2')[] = [];
    const failures: string[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        const r = await predict(id);
        const y = JSON.stringify(r.y);
        if (r.status === 200 && y === JSON.stringify(v1)) seen.push('v1');
        else if (r.status === 200 && y === JSON.stringify(v2)) seen.push('v2');
        else failures.push(`${r.status} ${y}`);
        await new Promise((res) => setTimeout(res, 25));
      }
    })();
    await new Promise((res) => setTimeout(res, 500));
    const move = await u.client.put(`${base()}/tracks/${trackId}/aliases/production`, {
      version: 2,
    });
    expect(move.status).toBe(200);
    await waitFor(
      async () => (seen.slice(-5).length === 5 && seen.slice(-5).every((s) => s === 'v2')) || null,
      90_000,
      'predictions to come from version 2',
    );
    // The old model server goes after its grace period; one model server remains.
    const instances = async () =>
      (await database(t).query('SELECT id FROM deployments')).map((r: { id: string }) => r.id);
    await waitFor(
      async () => {
        const pids = (await instances()).flatMap((d: string) => modelServerPids(d));
        return pids.length === 1 && modelServerPids(id).length === 0 ? pids : null;
      },
      60_000,
      'the old model server to stop',
    );
    running = false;
    await load;

    expect(failures).toEqual([]);
    const firstV2 = seen.indexOf('v2');
    expect(firstV2).toBeGreaterThan(0);
    expect(seen.slice(firstV2).every((s) => s === 'v2')).toBe(true);
    expect(seen.length).toBeGreaterThan(20);

    const d = (await u.client.get(`${base()}/deployments/${id}`)).body;
    expect(d).toMatchObject({ status: 'active', trackId, alias: 'production' });
    expect(d.artifactId).toBe(
      (await u.client.get(`${base()}/tracks/${trackId}/versions/2`)).body.artifactId,
    );
    const list = (await u.client.get(`${base()}/deployments`)).body;
    expect(list.map((x: { id: string }) => x.id)).toEqual([id]);
    expect((await predict(id)).y).toEqual(v2);

    const hist = await u.client.get(`${base()}/tracks/${trackId}/alias-history?alias=production`);
    expect(
      hist.body.items.map((e: { outcome: string; fromVersion: number; toVersion: number }) => [
        e.outcome,
        e.fromVersion,
        e.toVersion,
      ]),
    ).toContainEqual(['moved', 1, 2]);
  }, 240_000);
});
