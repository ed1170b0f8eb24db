import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import {
  ensureSatelliteBuilt,
  modelServerPids,
  SATELLITE_DIR,
  startAgent,
  waitFor,
  type AgentProcess,
} from '../deployments/agent-harness.testing.js';
import { database } from '../satellites/satellite-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';

/**
 * Fine-tuned models end to end: a GGUF LoRA adapter on the tiny base model is registered,
 * uploaded, published and activated (a deployment of the base model with the adapter, on the
 * real agent's process runtime), then chatted with through the official `openai` client as
 * `ft:<base>:<suffix>`; another orbit's key can neither see nor call it. Also: `config.extraArgs`
 * outside the model server's documented set is refused at activation.
 */
let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let key: Http;
let openai: OpenAI;
let agent: AgentProcess;
let tmp: string;
const FT = 'acme/tiny-base';
const FT_ID = `ft:${FT}:support-v1`;

beforeAll(async () => {
  await ensureSatelliteBuilt();
  const gen = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'testing', 'models.ts')
  )) as {
    writeTinyGguf(p: string): Promise<void>;
    writeTinyLoraGguf(p: string): Promise<void>;
  };
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-adapters-e2e-'));
  await gen.writeTinyGguf(path.join(tmp, 'tiny.gguf'));
  await gen.writeTinyLoraGguf(path.join(tmp, 'adapter.gguf'));
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'ft-dev@example.com');
  const token = (await u.client.post('/v1/users/me/api-keys', { name: 'app', orbitId: u.orbit.id }))
    .body.key;
  key = http(t.baseURL, token);
  openai = new OpenAI({
    apiKey: token,
    baseURL: `${t.baseURL}/v1`,
    maxRetries: 0,
    timeout: 120_000,
  });
  const s = await u.client.post(`/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/satellites`, {
    name: 'gpu-host',
  });
  agent = startAgent({
    apiUrl: t.baseURL,
    key: s.body.key,
    dataDir: path.join(tmp, 'satellite'),
    env: { APOGEE_LLAMA_CONTEXT_SIZE: '256' },
  });
  await waitFor(
    async () =>
      (
        await u.client.get(
          `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/satellites/${s.body.id}`,
        )
      ).body.status === 'active' || null,
    30_000,
    'the satellite to pair',
  );
  const reg = registry(u.client, u.org.id, u.orbit.id);
  const col = await reg.collection();
  const artifactId = (
    await reg.upload(col.id, fs.readFileSync(path.join(tmp, 'tiny.gguf')), {
      name: 'tiny-llama',
      fileName: 'tiny.gguf',
    })
  ).id;
  const c = await key.post('/v1/models', { id: FT, source: 'artifact', location: artifactId });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
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

describe('fine-tuned models (LoRA adapters)', () => {
  it('refuses extraArgs the model server does not accept, at activation', async () => {
    const c = await key.post('/v1/models', {
      baseModelId: FT,
      suffix: 'bad-args',
      adapter: 'lora',
      config: { extraArgs: ['--threads', '1', '--mlock'] },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const adapter = fs.readFileSync(path.join(tmp, 'adapter.gguf'));
    await upload(`ft:${FT}:bad-args`, adapter);
    expect((await key.post(`/v1/models/ft:${FT}:bad-args:publish`)).status).toBe(200);
    const act = await key.post(`/v1/models/ft:${FT}:bad-args:activate`);
    expect(act.status, JSON.stringify(act.body)).toBe(400);
    expect(JSON.stringify(act.body)).toContain('--mlock');
    expect((await key.get(`/v1/models/ft:${FT}:bad-args`)).body.activationStatus).toBe('inactive');
  });

  it('activates a fine-tuned model on its base model with the adapter and chats with it', async () => {
    const c = await key.post('/v1/models', {
      baseModelId: FT,
      suffix: 'support-v1',
      adapter: 'lora',
      config: { extraArgs: ['--threads=1', '--context-size 256'] },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    await upload(FT_ID, fs.readFileSync(path.join(tmp, 'adapter.gguf')));
    const p = await key.post(`/v1/models/${FT_ID}:publish`);
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const a = await key.post(`/v1/models/${FT_ID}:activate`);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    const depId = a.body.deploymentIds[0] as string;
    const dep = async () =>
      (
        await u.client.get(
          `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/deployments/${depId}`,
        )
      ).body;
    await waitFor(
      async () => {
        const d = await dep();
        if (d.status === 'failed') throw new Error(`deployment failed: ${JSON.stringify(d)}`);
        return d.status === 'active' || null;
      },
      120_000,
      'the fine-tuned deployment to be active',
    );
    const r = await openai.chat.completions.create({
      model: FT_ID,
      messages: [{ role: 'user', content: 'hello world' }],
      max_tokens: 6,
      temperature: 0,
    });
    expect(r.model).toBe(FT_ID);
    expect(r.choices[0]!.message.content).toBeTruthy();
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toContain(FT_ID);
  });

  it('shows a key of another orbit none of it', async () => {
    const other = await u.client.post(`/v1/organizations/${u.org.id}/orbits`, { name: 'other' });
    const token = (
      await u.client.post('/v1/users/me/api-keys', { name: 'o', orbitId: other.body.id })
    ).body.key;
    const outsider = new OpenAI({ apiKey: token, baseURL: `${t.baseURL}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const m of outsider.models.list()) ids.push(m.id);
    expect(ids).not.toContain(FT_ID);
    expect(
      await outsider.chat.completions
        .create({ model: FT_ID, messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

async function upload(modelId: string, data: Buffer): Promise<void> {
  const f = await key.post(`/v1/models/${modelId}:files`, {
    path: 'adapter.gguf',
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  });
  expect(f.status, JSON.stringify(f.body)).toBe(200);
  const put = await fetch(f.body.upload.url, {
    method: 'PUT',
    headers: f.body.upload.headers,
    body: data,
  });
  expect(put.ok).toBe(true);
  const done = await key.post(
    `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${f.body.artifactId}/complete`,
    {},
  );
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}
