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
import { startHfServer, type HubServer } from '../testing/model-hubs.js';

/**
 * The OpenAI-compatible gateway end to end: the official `openai` client, pointed at Apogee with
 * an API key, lists models, chats (streaming and not) and embeds with a generated GGUF model
 * served by the real satellite agent (process runtime); another organization sees none of it.
 */
let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let keyToken: string;
let key: Http;
let openai: OpenAI;
let agent: AgentProcess;
let tmp: string;
let artifactId: string;
let hf: HubServer;

async function deploymentsOf(id: string): Promise<{ id: string; status: string }[]> {
  const m = (await key.get(`/v1/models/${id}`)).body;
  const out = [];
  for (const d of m.deploymentIds)
    out.push(
      (await u.client.get(`/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/deployments/${d}`))
        .body,
    );
  return out;
}

beforeAll(async () => {
  await ensureSatelliteBuilt();
  const gen = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'testing', 'models.ts')
  )) as { writeTinyGguf(p: string): Promise<void> };
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-gateway-e2e-'));
  await gen.writeTinyGguf(path.join(tmp, 'tiny.gguf'));
  hf = await startHfServer({
    repos: { 'hub/tiny': { 'tiny.gguf': { data: fs.readFileSync(path.join(tmp, 'tiny.gguf')) } } },
  });
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'app-dev@example.com');
  keyToken = (await u.client.post('/v1/users/me/api-keys', { name: 'app', orbitId: u.orbit.id }))
    .body.key;
  key = http(t.baseURL, keyToken);
  openai = new OpenAI({
    apiKey: keyToken,
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
    env: { APOGEE_LLAMA_CONTEXT_SIZE: '256', HF_ENDPOINT: hf.url },
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
  artifactId = (
    await reg.upload(col.id, fs.readFileSync(path.join(tmp, 'tiny.gguf')), {
      name: 'tiny-llama',
      fileName: 'tiny.gguf',
    })
  ).id;
  const c = await key.post('/v1/models', {
    id: 'acme/tiny-chat',
    source: 'artifact',
    location: artifactId,
  });
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
  await hf?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('OpenAI-compatible gateway', () => {
  it('has the satellite agent load a model from Hugging Face (its load_model handler)', async () => {
    expect((await key.post('/v1/models', { id: 'hub/tiny', source: 'hugging_face' })).status).toBe(
      201,
    );
    const m = await waitFor(
      async () => {
        const b = (await key.get('/v1/models/hub/tiny?include_loading=true')).body;
        return ['SUCCEEDED', 'FAILED'].includes(b.loadingStatus) ? b : null;
      },
      60_000,
      'the load',
    );
    expect(m.loadingStatus, m.loadingFailureReason).toBe('SUCCEEDED');
    expect(m.formats).toEqual(['gguf']);
    expect(hf.requests.some((r) => r.path === '/hub/tiny/resolve/main/tiny.gguf')).toBe(true);
  }, 90_000);

  it('answers 400 in the OpenAI error shape for a model that is not active', async () => {
    const err = await openai.chat.completions
      .create({ model: 'acme/tiny-chat', messages: [{ role: 'user', content: 'hello' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('model_not_active');
    const unknown = await openai.chat.completions
      .create({ model: 'no/such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('activates the model as a deployment on the satellite and refuses to delete it while active', async () => {
    const a = await key.post('/v1/models/acme/tiny-chat:activate');
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body).toMatchObject({ activationStatus: 'active' });
    expect(a.body.deploymentIds).toHaveLength(1);
    await waitFor(
      async () =>
        (await deploymentsOf('acme/tiny-chat')).every((d) => d.status === 'active') || null,
      90_000,
      'the deployment to be active',
    );
    const del = await key.delete('/v1/models/acme/tiny-chat');
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('model_active');
  }, 120_000);

  it('lists the models with the official client', async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(['acme/tiny-chat', 'hub/tiny']);
    const one = await openai.models.retrieve('acme/tiny-chat');
    expect(one).toMatchObject({ id: 'acme/tiny-chat', object: 'model', owned_by: 'system' });
  });

  it('chats without streaming', async () => {
    const r = await openai.chat.completions.create({
      model: 'acme/tiny-chat',
      messages: [{ role: 'user', content: 'hello world' }],
      max_tokens: 6,
      temperature: 0,
    });
    expect(r.object).toBe('chat.completion');
    expect(typeof r.choices[0]!.message.content).toBe('string');
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
  }, 60_000);

  it('chats with streaming, chunk by chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'acme/tiny-chat',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 6,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.filter((c) => c.choices[0]?.delta?.content !== undefined).length).toBeGreaterThan(
      1,
    );
    expect(chunks.at(-1)!.usage?.completion_tokens).toBeGreaterThan(0);
  }, 60_000);

  it('completes text and gets embeddings', async () => {
    const c = await openai.completions.create({
      model: 'acme/tiny-chat',
      prompt: 'the model',
      max_tokens: 4,
      temperature: 0,
    });
    expect(typeof c.choices[0]!.text).toBe('string');
    const e = await openai.embeddings.create({
      model: 'acme/tiny-chat',
      input: ['hello world', 'apogee orbit'],
    });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]!.embedding.length).toBeGreaterThan(0);
  }, 60_000);

  it('records usage per key and model, readable by an organization admin', async () => {
    await waitFor(
      async () =>
        (
          (await u.client.get(`/v1/organizations/${u.org.id}/model-usage`)).body as {
            requests: number;
          }[]
        ).reduce((s, r) => s + r.requests, 0) >= 4 || null,
      10_000,
      'usage rows',
    );
    const rows = (await u.client.get(`/v1/organizations/${u.org.id}/model-usage`)).body as {
      modelId: string;
      apiKeyId: string | null;
      requests: number;
      promptTokens: number;
      completionTokens: number;
      latencyP95Ms: number;
    }[];
    const mine = rows.filter((r) => r.modelId === 'acme/tiny-chat' && r.apiKeyId);
    // chat, streamed chat, completion, embeddings (the 400s never reached a model).
    expect(mine.reduce((s, r) => s + r.requests, 0)).toBe(4);
    expect(mine.reduce((s, r) => s + r.completionTokens, 0)).toBeGreaterThan(0);
    expect(mine.reduce((s, r) => s + r.promptTokens, 0)).toBeGreaterThan(0);
  }, 20_000);

  it('shows another organization’s key none of it', async () => {
    const outsider = await signupUser(t.baseURL, 'stranger@else.test');
    const token = (await outsider.client.post('/v1/users/me/api-keys', { name: 'x' })).body.key;
    const other = new OpenAI({ apiKey: token, baseURL: `${t.baseURL}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const m of other.models.list()) ids.push(m.id);
    expect(ids).toEqual([]);
    expect(
      await other.chat.completions
        .create({ model: 'acme/tiny-chat', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.NotFoundError);
    expect(
      await other.embeddings
        .create({ model: 'acme/tiny-chat', input: 'x' })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.NotFoundError);
    const viaHeader = new OpenAI({
      apiKey: token,
      baseURL: `${t.baseURL}/v1`,
      maxRetries: 0,
      project: u.orbit.id,
    });
    expect(await viaHeader.models.list().catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    expect((await outsider.client.get(`/v1/organizations/${u.org.id}/model-usage`)).status).toBe(
      404,
    );
  });

  it('deactivates the model, and activates it on demand when its config allows', async () => {
    const d = await key.post('/v1/models/acme/tiny-chat:deactivate');
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body).toMatchObject({ activationStatus: 'inactive', deploymentIds: [] });
    expect(
      await openai.chat.completions
        .create({ model: 'acme/tiny-chat', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.BadRequestError);
    expect(
      (await key.patch('/v1/models/acme/tiny-chat', { config: { onDemand: true } })).status,
    ).toBe(200);
    const r = await openai.chat.completions.create({
      model: 'acme/tiny-chat',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 3,
    });
    expect(r.choices).toHaveLength(1);
    expect((await key.get('/v1/models/acme/tiny-chat')).body.activationStatus).toBe('active');
  }, 180_000);
});
