import fs from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SATELLITE_DIR, waitFor } from '../deployments/agent-harness.testing.js';
import { pairedSatellite, database } from '../satellites/satellite-fixtures.js';
import { TasksService } from '../tasks/tasks.service.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import { REQUIRE_STORAGE, s3TestBucket } from '../storage/storage-servers.testing.js';
import {
  sha256,
  startHfServer,
  startOllamaRegistry,
  type HfServerOptions,
  type HubServer,
} from '../testing/model-hubs.js';

/**
 * Models end to end: loads by the satellite loader (`satellite/src/agent/loader.ts`, run here by
 * its own claim loop with a real satellite key) from local Hugging Face and Ollama protocol
 * servers, a loader killed mid-download, bad input, fine-tuned models, deletion, tenancy.
 */

interface LoaderModule {
  ModelLoader: new (client: unknown, config: unknown) => unknown;
  LoaderWorker: new (
    client: unknown,
    loader: unknown,
    opts: { leaseMs: number; claimWaitMs?: number },
  ) => { start(): void; kill(): Promise<void> };
}
interface ClientModule {
  PlatformClient: new (baseUrl: string, key: string) => unknown;
}

let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let key: Http;
let keyToken: string;
let hf: HubServer;
let ollama: HubServer;
let repos: HfServerOptions['repos'];
let tmp: string;
let gguf: Buffer;
let gguf2: Buffer;
let loaderMod: LoaderModule;
let clientMod: ClientModule;
const workers: { kill(): Promise<void> }[] = [];

async function startLoader(satKey: string, workDir: string, leaseMs = 3_000) {
  const client = new clientMod.PlatformClient(t.baseURL, satKey);
  const loader = new loaderMod.ModelLoader(client, {
    huggingFaceEndpoint: hf.url,
    ollamaRegistry: ollama.url,
    workDir,
    parallel: 2,
    progressIntervalMs: Math.min(500, leaseMs / 3),
    leaseMs,
  });
  const w = new loaderMod.LoaderWorker(client, loader, { leaseMs, claimWaitMs: 2_000 });
  w.start();
  workers.push(w);
  return w;
}

async function model(id: string, client: Http = key) {
  return client.get(`/v1/models/${id}?include_loading=true`);
}

async function until(id: string, statuses: string[], timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const m = await model(id);
      return statuses.includes(m.body?.loadingStatus) ? m.body : null;
    },
    timeoutMs,
    `model ${id} to be ${statuses.join('|')}`,
  );
}

async function countModels(): Promise<number> {
  return (await database(t).query('SELECT count(*)::int AS n FROM models'))[0].n;
}

beforeAll(async () => {
  loaderMod = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'agent', 'loader.ts')
  )) as LoaderModule;
  clientMod = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'agent', 'platform-client.ts')
  )) as ClientModule;
  const gen = (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'src', 'testing', 'models.ts')
  )) as { writeTinyGguf(p: string, o?: { seed?: number }): Promise<void> };
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-models-e2e-'));
  await gen.writeTinyGguf(path.join(tmp, 'a.gguf'));
  await gen.writeTinyGguf(path.join(tmp, 'b.gguf'), { seed: 7 });
  gguf = fs.readFileSync(path.join(tmp, 'a.gguf'));
  gguf2 = fs.readFileSync(path.join(tmp, 'b.gguf'));
  repos = {
    'acme/tiny': { 'model.gguf': { data: gguf }, 'README.md': { data: Buffer.from('# tiny\n') } },
    'acme/multi': { 'a.gguf': { data: gguf }, 'b.gguf': { data: gguf2 } },
    'acme/big': {
      'model.gguf': { data: Buffer.concat([gguf, Buffer.alloc(3 * 1024 * 1024, 1)]) },
      'config.json': { data: Buffer.from('{"model_type":"llama"}') },
    },
    'acme/docs': {
      'README.md': { data: Buffer.from('no model here') },
      'notes.txt': { data: Buffer.from('x') },
    },
    'acme/fake': {
      'model.gguf': { data: Buffer.from('this is not a gguf file at all, just text'.repeat(50)) },
    },
  };
  hf = await startHfServer({ repos });
  ollama = await startOllamaRegistry({
    'tiny:latest': {
      model: gguf,
      layers: { 'application/vnd.ollama.image.template': Buffer.from('{{ .Prompt }}') },
    },
  });
  t = await startTestApp();
  const tasks = t.app.get(TasksService);
  tasks.backoffBaseMs = 50;
  tasks.backoffMaxMs = 200;
  u = await signupUser(t.baseURL, 'modeler@example.com');
  keyToken = (await u.client.post('/v1/users/me/api-keys', { name: 'models', orbitId: u.orbit.id }))
    .body.key;
  key = http(t.baseURL, keyToken);
  const sat = await pairedSatellite(u.client, t.baseURL, u.org.id, u.orbit.id, {
    name: 'loader',
    capabilities: { taskTypes: ['load_model'] },
  });
  await startLoader(sat.key, path.join(tmp, 'work-a'));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill();
  await hf?.close();
  await ollama?.close();
  await t?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('loading base models', () => {
  it('loads a Hugging Face repository and keeps the id that was asked for', async () => {
    const c = await key.post('/v1/models', { id: 'acme/tiny', source: 'hugging_face' });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body).toMatchObject({
      id: 'acme/tiny',
      object: 'model',
      loadingStatus: 'REQUESTED',
      owned_by: 'system',
      activationStatus: 'inactive',
    });
    const m = await until('acme/tiny', ['SUCCEEDED', 'FAILED']);
    expect(m.loadingStatus, m.loadingFailureReason).toBe('SUCCEEDED');
    expect(m.id).toBe('acme/tiny');
    expect(m.formats).toEqual(['gguf']);
    expect(m.loadingStatusMessage).toMatch(/loaded 2 file/);
    expect(
      m.files.map((f: { path: string; sha256: string; uploaded: boolean }) => [
        f.path,
        f.sha256,
        f.uploaded,
      ]),
    ).toEqual([
      ['README.md', sha256(Buffer.from('# tiny\n')), true],
      ['model.gguf', sha256(gguf), true],
    ]);
    // The files are artifacts of the orbit, stored and verified.
    const art = await u.client.get(
      `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${m.files[1].artifactId}`,
    );
    expect(art.body).toMatchObject({ status: 'uploaded', format: 'gguf', sha256: sha256(gguf) });
    const list = await key.get('/v1/models');
    expect(list.body.object).toBe('list');
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain('acme/tiny');
    // Downloads went through the Hub protocol.
    expect(hf.requests.some((r) => r.path.startsWith('/api/models/acme/tiny/revision/main'))).toBe(
      true,
    );
    expect(hf.requests.some((r) => r.path === '/acme/tiny/resolve/main/model.gguf')).toBe(true);
  });

  it('loads one file of a repository, and one base model per GGUF file when asked', async () => {
    expect(
      (await key.post('/v1/models', { id: 'acme/multi/b.gguf', source: 'hugging_face' })).status,
    ).toBe(201);
    const one = await until('acme/multi/b.gguf', ['SUCCEEDED', 'FAILED']);
    expect(one.files.map((f: { path: string }) => f.path)).toEqual(['b.gguf']);
    expect(
      (await key.post('/v1/models', { id: 'acme/multi', source: 'hugging_face', splitGguf: true }))
        .status,
    ).toBe(201);
    await until('acme/multi', ['SUCCEEDED']);
    const ids = (await key.get('/v1/models')).body.data.map((x: { id: string }) => x.id);
    expect(ids).toEqual(
      expect.arrayContaining(['acme/multi', 'acme/multi/a', 'acme/multi/b', 'acme/multi/b.gguf']),
    );
    const child = (await model('acme/multi/a')).body;
    expect(child).toMatchObject({ loadingStatus: 'SUCCEEDED', formats: ['gguf'] });
  });

  it('loads an Ollama model through the registry protocol', async () => {
    expect((await key.post('/v1/models', { id: 'tiny:latest', source: 'ollama' })).status).toBe(
      201,
    );
    const m = await until('tiny:latest', ['SUCCEEDED', 'FAILED']);
    expect(m.loadingStatus, m.loadingFailureReason).toBe('SUCCEEDED');
    expect(m.formats).toEqual(['ollama', 'gguf']);
    expect(m.files.find((f: { path: string }) => f.path === 'model.gguf').sha256).toBe(
      sha256(gguf),
    );
    expect(ollama.requests.some((r) => r.path === '/v2/library/tiny/manifests/latest')).toBe(true);
  });

  it('resumes a load whose loader was killed mid-download, under the same id', async () => {
    // A second loader on the same host (work dir) takes over once the first one's lease lapses.
    const sat2 = await pairedSatellite(u.client, t.baseURL, u.org.id, u.orbit.id, {
      name: 'loader-b',
      capabilities: { taskTypes: ['load_model'] },
    });
    for (const w of workers.splice(0)) await w.kill();
    const dir = path.join(tmp, 'work-kill');
    const first = await startLoader(sat2.key, dir, 1_500);
    hf.throttle(400_000);
    const size = repos['acme/big']!['model.gguf']!.data.length;
    expect((await key.post('/v1/models', { id: 'acme/big', source: 'hugging_face' })).status).toBe(
      201,
    );
    await waitFor(
      async () => {
        const m = (await model('acme/big')).body;
        return m.loadingStatus === 'LOADING' &&
          /downloaded \d+\/2 files, [1-9]/.test(m.loadingStatusMessage ?? '')
          ? m
          : null;
      },
      45_000,
      'the download to be under way',
    );
    const partial = path.join(dir, fs.readdirSync(dir)[0]!, 'model.gguf.part');
    await waitFor(
      async () => (fs.existsSync(partial) && fs.statSync(partial).size > 0) || null,
      10_000,
      'bytes on disk',
    );
    await first.kill();
    const had = fs.statSync(partial).size;
    expect(had).toBeLessThan(size);
    hf.throttle(0);
    await startLoader(sat2.key, dir, 1_500);
    const m = await until('acme/big', ['SUCCEEDED', 'FAILED'], 60_000);
    expect(m.loadingStatus, m.loadingFailureReason).toBe('SUCCEEDED');
    expect(m.id).toBe('acme/big');
    expect(m.formats).toEqual(['hugging-face', 'gguf']);
    // The second attempt asked only for the missing bytes.
    expect(
      hf.requests.some(
        (r) =>
          r.path === '/acme/big/resolve/main/model.gguf' &&
          r.range &&
          Number(/bytes=(\d+)-/.exec(r.range)![1]) > 0,
      ),
    ).toBe(true);
    const task = (
      await database(t).query('SELECT attempt FROM tasks WHERE id = $1', [m.taskId])
    )[0];
    expect(task.attempt).toBeGreaterThan(1);
    expect(m.files.find((f: { path: string }) => f.path === 'model.gguf').sha256).toBe(
      sha256(repos['acme/big']!['model.gguf']!.data),
    );
  }, 120_000);
});

describe('bad input', () => {
  it('answers 4xx for bad requests and creates nothing', async () => {
    const before = await countModels();
    const cases: [unknown, number, string][] = [
      [{ id: 'acme/x', source: 'ftp' }, 400, 'unknown source'],
      [{ id: '../etc', source: 'hugging_face' }, 400, 'id'],
      [{ id: 'not-a-repo', source: 'hugging_face' }, 400, 'Hugging Face'],
      [{ id: 'llama3', source: 'ollama' }, 400, 'name:tag'],
      [{ id: 'x', source: 'object_store', location: 'http://bucket' }, 400, 's3://'],
      [{ source: 'hugging_face' }, 400, 'required'],
      [{ baseModelId: 'acme/tiny', suffix: 'a'.repeat(41) }, 400, 'suffix'],
      [{ baseModelId: 'acme/tiny', suffix: 'Bad_Suffix' }, 400, 'suffix'],
      [{ baseModelId: 'no/such', suffix: 'x' }, 400, 'base model'],
    ];
    for (const [body, status, text] of cases) {
      const r = await key.post('/v1/models', body);
      expect(r.status, JSON.stringify([body, r.body])).toBe(status);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(JSON.stringify(r.body.error)).toContain(text);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error' });
    }
    expect((await key.post('/v1/models', { id: 'acme/tiny', source: 'hugging_face' })).status).toBe(
      409,
    );
    expect(await countModels()).toBe(before);
  });

  it('fails loads of a repository that does not exist and of files that are not models, with the reason', async () => {
    for (const w of workers.splice(0)) await w.kill();
    const sat = await pairedSatellite(u.client, t.baseURL, u.org.id, u.orbit.id, {
      name: 'loader-c',
      capabilities: { taskTypes: ['load_model'] },
    });
    await startLoader(sat.key, path.join(tmp, 'work-c'));
    await key.post('/v1/models', { id: 'acme/ghost', source: 'hugging_face' });
    await key.post('/v1/models', { id: 'acme/docs', source: 'hugging_face' });
    await key.post('/v1/models', { id: 'acme/fake', source: 'hugging_face' });
    await key.post('/v1/models', { id: 'ghost:1b', source: 'ollama' });
    expect((await until('acme/ghost', ['FAILED', 'SUCCEEDED'])).loadingFailureReason).toMatch(
      /acme\/ghost .*does not exist/,
    );
    expect((await until('acme/docs', ['FAILED', 'SUCCEEDED'])).loadingFailureReason).toMatch(
      /No model found.*README.md/,
    );
    expect((await until('acme/fake', ['FAILED', 'SUCCEEDED'])).loadingFailureReason).toMatch(
      /model.gguf is not a GGUF file/,
    );
    expect((await until('ghost:1b', ['FAILED', 'SUCCEEDED'])).loadingFailureReason).toMatch(
      /ghost:1b does not exist/,
    );
    // Failed models are not listed unless asked for.
    expect((await key.get('/v1/models')).body.data.map((x: { id: string }) => x.id)).not.toContain(
      'acme/ghost',
    );
    expect(
      (await key.get('/v1/models?include_loading=true')).body.data.map((x: { id: string }) => x.id),
    ).toContain('acme/ghost');
  });

  it('retries a failed load', async () => {
    repos['acme/ghost'] = { 'model.gguf': { data: gguf } };
    const r = await key.post('/v1/models/acme/ghost:retry');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.loadingStatus).toBe('REQUESTED');
    expect((await until('acme/ghost', ['SUCCEEDED', 'FAILED'])).loadingStatus).toBe('SUCCEEDED');
    expect((await key.post('/v1/models/acme/ghost:retry')).status).toBe(409);
  });

  it('refuses to activate a model that is still loading', async () => {
    hf.throttle(2_000);
    repos['acme/slow'] = { 'model.gguf': { data: gguf } };
    await key.post('/v1/models', { id: 'acme/slow', source: 'hugging_face' });
    const r = await key.post('/v1/models/acme/slow:activate');
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'model_not_loaded' });
    expect(r.body.error.message).toMatch(/REQUESTED|LOADING/);
    hf.throttle(0);
    expect((await key.post('/v1/models/acme/slow:explode')).status).toBe(400);
  });
});

describe('object store', () => {
  it('loads a model from s3://bucket/prefix with the credentials of an organization storage backend', async (ctx) => {
    const s3 = await s3TestBucket();
    if (!s3.ok) {
      if (REQUIRE_STORAGE) throw new Error(`APOGEE_REQUIRE_STORAGE=1 but ${s3.reason}`);
      ctx.skip(s3.reason);
      return;
    }
    const { settings, credentials } = s3.target;
    const client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const cfg = Buffer.from('{"model_type":"llama"}');
    await client.send(
      new PutObjectCommand({ Bucket: settings.bucket, Key: 'models/tiny/model.gguf', Body: gguf }),
    );
    await client.send(
      new PutObjectCommand({ Bucket: settings.bucket, Key: 'models/tiny/config.json', Body: cfg }),
    );
    // A neighbour whose name starts the same must not be picked up.
    await client.send(
      new PutObjectCommand({
        Bucket: settings.bucket,
        Key: 'models/tiny-it/model.gguf',
        Body: gguf2,
      }),
    );
    client.destroy();
    const backend = await u.client.post(`/v1/organizations/${u.org.id}/storage-backends`, {
      name: 'model-bucket',
      kind: 's3',
      s3: {
        endpoint: settings.endpoint,
        bucket: settings.bucket,
        region: settings.region,
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
      },
    });
    expect(backend.status, JSON.stringify(backend.body)).toBe(201);
    const body = {
      id: 's3/tiny',
      source: 'object_store',
      location: `s3://${settings.bucket}/models/tiny`,
      storageBackendId: backend.body.id,
    };
    // An orbit-scoped key may not read the organization's other buckets.
    expect((await key.post('/v1/models', body)).status).toBe(400);
    const c = await u.client.post(
      `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/models`,
      body,
    );
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const m = await until('s3/tiny', ['SUCCEEDED', 'FAILED']);
    expect(m.loadingStatus, m.loadingFailureReason).toBe('SUCCEEDED');
    expect(m.formats).toEqual(['hugging-face', 'gguf']);
    expect(m.files.map((f: { path: string; sha256: string }) => [f.path, f.sha256])).toEqual([
      ['config.json', sha256(cfg)],
      ['model.gguf', sha256(gguf)],
    ]);
    const missing = await u.client.post(
      `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/models`,
      { ...body, id: 's3/none', location: `s3://${settings.bucket}/models/none` },
    );
    expect(missing.status).toBe(201);
    expect((await until('s3/none', ['SUCCEEDED', 'FAILED'])).loadingFailureReason).toMatch(
      /No objects under s3:\/\/.*models\/none/,
    );
  }, 90_000);
});

describe('fine-tuned models', () => {
  it('registers an adapter, uploads it, publishes it, and shows it in its own orbit only', async () => {
    const c = await key.post('/v1/models', {
      baseModelId: 'acme/tiny',
      suffix: 'support-v1',
      adapter: 'lora',
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const id = 'ft:acme/tiny:support-v1';
    expect(c.body).toMatchObject({
      id,
      owned_by: 'user',
      published: false,
      baseModelId: 'acme/tiny',
      adapter: 'lora',
    });
    expect((await key.get(`/v1/models/${id}`)).status).toBe(404);
    expect(
      (await key.get('/v1/models?include_loading=true')).body.data.map((x: { id: string }) => x.id),
    ).not.toContain(id);
    expect((await key.post(`/v1/models/${id}:publish`)).status).toBe(409);
    const adapter = Buffer.from('{"r": 8, "lora_alpha": 16}');
    const f = await key.post(`/v1/models/${id}:files`, {
      path: 'adapter_config.json',
      size: adapter.length,
      sha256: sha256(adapter),
    });
    expect(f.status, JSON.stringify(f.body)).toBe(200);
    const put = await fetch(f.body.upload.url, {
      method: 'PUT',
      headers: f.body.upload.headers,
      body: adapter,
    });
    expect(put.ok).toBe(true);
    const done = await key.post(
      `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${f.body.artifactId}/complete`,
      {},
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const p = await key.post(`/v1/models/${id}:publish`);
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body).toMatchObject({
      published: true,
      loadingStatus: 'SUCCEEDED',
      formats: ['hugging-face'],
    });
    expect((await key.get('/v1/models')).body.data.map((x: { id: string }) => x.id)).toContain(id);
    // Another orbit of the same organization does not see it, by list or by id.
    const other = await u.client.post(`/v1/organizations/${u.org.id}/orbits`, { name: 'other' });
    const otherKey = http(
      t.baseURL,
      (await u.client.post('/v1/users/me/api-keys', { name: 'o', orbitId: other.body.id })).body
        .key,
    );
    expect((await otherKey.get('/v1/models')).body.data).toEqual([]);
    expect((await otherKey.get(`/v1/models/${id}`)).status).toBe(404);
    expect((await otherKey.post(`/v1/models/${id}:activate`)).status).toBe(404);
    // The runtime cannot load adapters yet: activation says so.
    const act = await key.post(`/v1/models/${id}:activate`);
    expect(act.status).toBe(409);
    expect(act.body.error.code).toBe('adapter_not_supported');
  });
});

describe('SDK and CLI', () => {
  it('drives models through client.models and `apogee models`', async () => {
    const SDK = path.join(SATELLITE_DIR, '..', 'sdk', 'src');
    const sdk = (await import(/* @vite-ignore */ path.join(SDK, 'index.ts'))) as {
      Apogee: new (o: { apiKey: string; baseURL: string }) => any;
    };
    const cli = (await import(/* @vite-ignore */ path.join(SDK, 'cli', 'main.ts'))) as {
      main(argv: string[], io: unknown): Promise<number>;
    };
    const c = new sdk.Apogee({ apiKey: keyToken, baseURL: t.baseURL });
    const m = await c.models.get(u.org.id, u.orbit.id, 'acme/tiny');
    expect(m).toMatchObject({ id: 'acme/tiny', loadingStatus: 'SUCCEEDED' });
    const ids: string[] = [];
    for await (const x of c.models.iterate(u.org.id, u.orbit.id, { limit: 1 })) ids.push(x.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['acme/tiny', 'acme/big', 'tiny:latest']));
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await cli.main(
        [
          '--api-key',
          keyToken,
          '--base-url',
          t.baseURL,
          ...argv,
          '--org',
          u.org.id,
          '--orbit',
          u.orbit.id,
        ],
        {
          stdout: { write: (x: string) => ((out += x), true), isTTY: false },
          stderr: { write: (x: string) => ((err += x), true), isTTY: false },
          home,
        },
      );
      return { code, out, err };
    };
    const artifact = m.files.find((f: { path: string }) => f.path === 'model.gguf').artifactId;
    const created = await run(
      'models',
      'create',
      'cli/tiny',
      '--source',
      'artifact',
      '--location',
      artifact,
    );
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('Model cli/tiny: SUCCEEDED (gguf)');
    const ls = await run('models', 'ls');
    expect(ls.out).toMatch(/cli\/tiny\s+SUCCEEDED\s+gguf\s+inactive/);
    const act = await run('models', 'activate', 'ft:acme/tiny:support-v1');
    expect(act.code).not.toBe(0);
    expect(act.err).toContain('adapter_not_supported');
    const rm = await run('models', 'rm', 'cli/tiny');
    expect(rm.code, rm.err).toBe(0);
    expect((await model('cli/tiny')).status).toBe(404);
  });
});

describe('deletion and tenancy', () => {
  it('deletes a model with the files it stored, and keeps artifacts it only referenced', async () => {
    const m = (await model('acme/multi/b.gguf')).body;
    const artifactId = m.files[0].artifactId;
    const d = await key.delete('/v1/models/acme/multi/b.gguf');
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body).toEqual({ id: 'acme/multi/b.gguf', object: 'model', deleted: true });
    expect((await model('acme/multi/b.gguf')).status).toBe(404);
    expect(
      (
        await u.client.get(
          `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${artifactId}`,
        )
      ).status,
    ).toBe(404);
    // A model made from an existing artifact does not own it.
    const fromArt = await key.post('/v1/models', {
      id: 'registry/tiny',
      source: 'artifact',
      location: (await model('acme/tiny')).body.files[1].artifactId,
    });
    expect(fromArt.status, JSON.stringify(fromArt.body)).toBe(201);
    expect(fromArt.body).toMatchObject({ loadingStatus: 'SUCCEEDED', formats: ['gguf'] });
    expect((await key.delete('/v1/models/registry/tiny')).status).toBe(200);
    expect(
      (
        await u.client.get(
          `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${fromArt.body.files[0].artifactId}`,
        )
      ).status,
    ).toBe(200);
    // Deleting the parent of split models deletes the children and every stored file.
    const parent = (await model('acme/multi')).body;
    expect((await key.delete('/v1/models/acme/multi')).status).toBe(200);
    expect((await model('acme/multi/a')).status).toBe(404);
    for (const f of parent.files)
      expect(
        (
          await u.client.get(
            `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/artifacts/${f.artifactId}`,
          )
        ).status,
      ).toBe(404);
  });

  it('shows another organization nothing, on the OpenAI routes and the dashboard routes', async () => {
    const outsider = await signupUser(t.baseURL, 'outsider@else.test');
    const ok = http(
      t.baseURL,
      (await outsider.client.post('/v1/users/me/api-keys', { name: 'x' })).body.key,
    );
    expect((await ok.get('/v1/models')).body).toEqual({
      object: 'list',
      data: [],
      has_more: false,
    });
    const r = await ok.get('/v1/models/acme/tiny');
    expect(r.status).toBe(404);
    expect(r.body.error.type).toBe('not_found_error');
    expect((await ok.get('/v1/models', { 'OpenAI-Project': u.orbit.id })).status).toBe(404);
    expect((await ok.get('/v1/models', { 'OpenAI-Organization': u.org.id })).status).toBe(404);
    const o = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/models`;
    for (const [method, p, body] of [
      ['GET', o, undefined],
      ['POST', o, { id: 'evil/model', source: 'hugging_face' }],
      ['GET', `${o}/acme/tiny`, undefined],
      ['PATCH', `${o}/acme/tiny`, { config: { replicas: 2 } }],
      ['DELETE', `${o}/acme/tiny`, undefined],
      ['POST', `${o}/acme/tiny:activate`, undefined],
      ['GET', `/v1/organizations/${u.org.id}/model-usage`, undefined],
    ] as const) {
      const res = await outsider.client.call(method, p, body);
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('acme');
    }
    expect((await key.get('/v1/models/acme/tiny')).status).toBe(200);
  });
});
