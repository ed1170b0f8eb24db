import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import { put, putOk, registry, sha256 } from './registry-fixtures.js';
import { ArtifactsService } from './artifacts.service.js';
import { tinyGguf, tinyOnnx } from '../manifest/tiny-models.testing.js';

const MIB = 1024 * 1024;
let t: TestApp;
let client: Http;
let reg: ReturnType<typeof registry>;
let u: Awaited<ReturnType<typeof signupUser>>;

beforeAll(async () => {
  t = await startTestApp({
    APOGEE_MULTIPART_THRESHOLD: String(6 * MIB),
    APOGEE_PART_SIZE: String(5 * MIB),
  });
  u = await signupUser(t.baseURL, 'reg@example.com');
  client = u.client;
  reg = registry(client, u.org.id, u.orbit.id);
}, 60_000);
afterAll(async () => t?.close());

function storedFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(t.config.storageDir);
  return out;
}

describe('artifact upload, verification and download', () => {
  it('uploads a small file in one PUT, verifies it and serves it with HTTP Range', async () => {
    const col = await reg.collection();
    const bytes = randomBytes(100_000);
    const c = await reg.create(col.id, bytes, {
      fileName: 'weights.bin',
      tags: ['a'],
      metrics: { accuracy: 0.5 },
    });
    expect(c.status).toBe(201);
    expect(c.body.artifact).toMatchObject({
      status: 'pending_upload',
      size: 100_000,
      format: 'other',
      type: 'model',
      collectionId: col.id,
    });
    expect(c.body.upload).toMatchObject({
      mode: 'single',
      url: expect.stringContaining('/v1/storage/local/'),
      expiresAt: expect.any(String),
    });
    const putRes = await put(c.body.upload.url, bytes, c.body.upload.headers);
    expect(putRes.status).toBe(200);
    expect(putRes.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const done = await client.post(`${reg.base}/artifacts/${c.body.artifact.id}/complete`, {});
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'uploaded', uploadedAt: expect.any(String) });

    const d = await client.get(`${reg.base}/artifacts/${c.body.artifact.id}/download-url`);
    expect(d.body).toMatchObject({ size: 100_000, sha256: sha256(bytes), fileName: 'weights.bin' });
    const whole = await fetch(d.body.url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-disposition')).toContain('weights.bin');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(d.body.url, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    const suffix = await fetch(d.body.url, { headers: { Range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(-5))).toBe(true);
    const beyond = await fetch(d.body.url, { headers: { Range: 'bytes=200000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100000');

    const redirect = await fetch(
      `${t.baseURL}${reg.base}/artifacts/${c.body.artifact.id}/download`,
      { headers: { authorization: `Bearer ${u.token}` }, redirect: 'manual' },
    );
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toContain('/v1/storage/local/');
  });

  it('uploads in parts, resumes after some parts and assembles the file on complete', async () => {
    const col = await reg.collection();
    const bytes = randomBytes(11 * MIB + 123);
    const c = await reg.create(col.id, bytes, { fileName: 'big.bin' });
    expect(c.status).toBe(201);
    expect(c.body.upload).toMatchObject({
      mode: 'multipart',
      partSize: 5 * MIB,
      partCount: 3,
      uploadId: expect.any(String),
    });
    const id = c.body.artifact.id;
    const signed = await client.post(`${reg.base}/artifacts/${id}/upload/parts`, {
      partNumbers: [1, 3],
    });
    expect(signed.status).toBe(200);
    expect(signed.body.parts.map((p: any) => p.partNumber)).toEqual([1, 3]);
    const etags: Record<number, string | null> = {};
    for (const p of signed.body.parts)
      etags[p.partNumber] = await putOk(
        p.url,
        bytes.subarray((p.partNumber - 1) * 5 * MIB, p.partNumber * 5 * MIB),
        p.headers,
      );

    // A client that lost its state asks what the storage holds and sends only the rest.
    const status = await client.get(`${reg.base}/artifacts/${id}/upload`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      mode: 'multipart',
      uploadId: c.body.upload.uploadId,
      partSize: 5 * MIB,
      partCount: 3,
    });
    expect(status.body.parts).toEqual([
      { partNumber: 1, size: 5 * MIB, etag: etags[1] },
      { partNumber: 3, size: MIB + 123, etag: etags[3] },
    ]);
    const early = await client.post(`${reg.base}/artifacts/${id}/complete`, {
      parts: [
        { partNumber: 1, etag: etags[1] },
        { partNumber: 2, etag: '"x"' },
      ],
    });
    expect(early.status).toBe(400);
    expect(early.body.code).toBe('upload_parts_invalid');

    const missing = await client.post(`${reg.base}/artifacts/${id}/upload/parts`, {
      partNumbers: [2],
    });
    await putOk(
      missing.body.parts[0].url,
      bytes.subarray(5 * MIB, 10 * MIB),
      missing.body.parts[0].headers,
    );
    const done = await client.post(`${reg.base}/artifacts/${id}/complete`, {});
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('uploaded');
    const d = await client.get(`${reg.base}/artifacts/${id}/download-url`);
    const got = Buffer.from(await (await fetch(d.body.url)).arrayBuffer());
    expect(sha256(got)).toBe(sha256(bytes));
  });

  it('refuses a part body larger than the signed size and a wrong part number', async () => {
    const col = await reg.collection();
    const bytes = randomBytes(7 * MIB);
    const c = await reg.create(col.id, bytes);
    const id = c.body.artifact.id;
    const signed = await client.post(`${reg.base}/artifacts/${id}/upload/parts`, {
      partNumbers: [2],
    });
    const tooBig = await put(
      signed.body.parts[0].url,
      randomBytes(2 * MIB + 1),
      signed.body.parts[0].headers,
    );
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.code).toBe('upload_size_mismatch');
    const out = await client.post(`${reg.base}/artifacts/${id}/upload/parts`, { partNumbers: [3] });
    expect(out.status).toBe(400);
    expect((await client.get(`${reg.base}/artifacts/${id}/upload`)).body.parts).toEqual([]);
  });

  it('marks the artifact upload_failed with 422 when the sha256 does not match', async () => {
    const col = await reg.collection();
    const bytes = randomBytes(5000);
    const c = await reg.create(col.id, bytes, { sha256: sha256(Buffer.from('something else')) });
    await putOk(c.body.upload.url, bytes, c.body.upload.headers);
    const done = await client.post(`${reg.base}/artifacts/${c.body.artifact.id}/complete`, {});
    expect(done.status).toBe(422);
    expect(done.body).toMatchObject({
      code: 'upload_verification_failed',
      requestId: expect.any(String),
    });
    const a = await client.get(`${reg.base}/artifacts/${c.body.artifact.id}`);
    expect(a.body).toMatchObject({
      status: 'upload_failed',
      statusReason: expect.stringContaining('sha256'),
    });
    // Terminal: it cannot be completed again or downloaded.
    expect(
      (await client.post(`${reg.base}/artifacts/${c.body.artifact.id}/complete`, {})).status,
    ).toBe(409);
    expect(
      (await client.get(`${reg.base}/artifacts/${c.body.artifact.id}/download-url`)).status,
    ).toBe(409);
  });

  it('fails verification when nothing was uploaded, and aborts a multipart upload', async () => {
    const col = await reg.collection();
    const c = await reg.create(col.id, randomBytes(10));
    const done = await client.post(`${reg.base}/artifacts/${c.body.artifact.id}/complete`, {});
    expect(done.status).toBe(422);
    const m = await reg.create(col.id, randomBytes(7 * MIB));
    const s = await client.post(`${reg.base}/artifacts/${m.body.artifact.id}/upload/parts`, {
      partNumbers: [1],
    });
    await putOk(s.body.parts[0].url, randomBytes(5 * MIB), s.body.parts[0].headers);
    const ab = await client.post(`${reg.base}/artifacts/${m.body.artifact.id}/abort`, {});
    expect(ab.status).toBe(200);
    expect(ab.body).toMatchObject({ status: 'upload_failed', statusReason: 'Upload aborted' });
    expect(storedFiles().some((f) => f.includes(m.body.upload.uploadId))).toBe(false);
    // The signed part URL no longer leads anywhere.
    expect(
      (await put(s.body.parts[0].url, randomBytes(5 * MIB), s.body.parts[0].headers)).status,
    ).toBe(404);
  });

  it('rejects with 413 an artifact larger than the orbit limit', async () => {
    const col = await reg.collection();
    expect(
      (
        await client.patch(`/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`, {
          maxArtifactBytes: 1000,
        })
      ).status,
    ).toBe(200);
    const r = await reg.create(col.id, randomBytes(1001));
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('artifact_too_large');
    expect((await reg.create(col.id, randomBytes(1000))).status).toBe(201);
    await client.patch(`/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`, {
      maxArtifactBytes: 5 * 1024 ** 4,
    });
  });

  it('rejects a tampered or expired signed URL', async () => {
    const col = await reg.collection();
    const a = await reg.upload(col.id, randomBytes(100));
    const d = await client.get(`${reg.base}/artifacts/${a.id}/download-url`);
    const token = d.body.url.split('/').pop() as string;
    const [body, mac] = token.split('.');
    const grant = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...grant, e: grant.e + 1000 })).toString(
      'base64url',
    );
    const r = await fetch(`${t.baseURL}/v1/storage/local/${forged}.${mac}`);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { code: string }).code).toBe('signed_url_invalid');
    // A GET grant does not allow a PUT.
    expect((await put(d.body.url, randomBytes(100))).status).toBe(403);
  });
});

describe('manifests on completion', () => {
  it('reads an uploaded ONNX model’s inputs, outputs and opset into the manifest', async () => {
    const col = await reg.collection();
    const a = await reg.upload(col.id, tinyOnnx(1024), {
      fileName: 'clf.onnx',
      manifest: { task: 'classification' },
    });
    expect(a.format).toBe('onnx');
    expect(a.manifest).toMatchObject({
      task: 'classification',
      format: 'onnx',
      opset: 17,
      producerName: 'apogee-test',
      inputs: [
        { name: 'input_ids', elemType: 'int64', shape: ['batch', 128] },
        { name: 'mask', elemType: 'bool', shape: ['batch', 'seq'] },
      ],
      outputs: [{ name: 'logits', elemType: 'float32', shape: ['batch', 2] }],
    });
  });

  it('detects a GGUF file by its header and reads its metadata', async () => {
    const col = await reg.collection();
    const a = await reg.upload(col.id, tinyGguf(4096), { fileName: 'weights.bin' });
    expect(a.format).toBe('gguf');
    expect(a.manifest).toMatchObject({
      architecture: 'llama',
      name: 'tiny-llama',
      quantization: 'Q4_K_M',
      contextLength: 4096,
      parameterCount: 192,
    });
  });

  it('keeps the upload valid when a declared ONNX file cannot be parsed', async () => {
    const col = await reg.collection();
    const a = await reg.upload(col.id, Buffer.from([0x08, 0xff]), { fileName: 'broken.onnx' });
    expect(a.status).toBe('uploaded');
    expect(a.manifest.headerError).toEqual(expect.any(String));
  });
});

describe('artifact listing', () => {
  let col: any;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    col = await reg.collection({ type: 'mixed', name: 'listing' });
    const specs: [string, Record<string, number>, string[]][] = [
      ['m1', { accuracy: 0.7, loss: 1 }, ['prod', 'nlp']],
      ['m2', { accuracy: 0.9 }, ['nlp']],
      ['m3', { accuracy: 0.8 }, ['prod', 'nlp']],
      ['m4', { loss: 0.1 }, ['prod', 'nlp']],
      ['m5', { accuracy: 0.95 }, ['prod']],
      ['m6', {}, ['prod', 'nlp']],
      ['m7', { accuracy: 0.8 }, ['prod', 'nlp']],
    ];
    for (const [name, metrics, tags] of specs) {
      const a = await reg.upload(col.id, randomBytes(10), {
        name,
        metrics,
        tags,
        description: `model ${name}`,
      });
      ids[name] = a.id;
    }
  });

  const names = (items: any[]) => items.map((i) => i.name);
  const list = (qs: string) => client.get(`${reg.base}/artifacts?collectionId=${col.id}&${qs}`);

  it('sorts by a metric numerically, missing values last, ties broken stably, across pages', async () => {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await list(
        `sort=metrics.accuracy&order=desc&limit=2&tag=prod&tag=nlp${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    const tie = [ids.m3!, ids.m7!]
      .sort()
      .reverse()
      .map((id) => all.find((a) => a.id === id).name);
    const noMetric = [ids.m4!, ids.m6!]
      .sort()
      .reverse()
      .map((id) => all.find((a) => a.id === id).name);
    expect(names(all)).toEqual([...tie, 'm1', ...noMetric]);
    const asc = await list('sort=metrics.accuracy&order=asc&tag=prod');
    expect(names(asc.body.items).slice(0, 3)).toEqual([
      'm1',
      ...[ids.m3!, ids.m7!].sort().map((id) => all.find((a) => a.id === id).name),
    ]);
  });

  it('sorts by a metric after it changes (PATCH), and by columns', async () => {
    const p = await client.patch(`${reg.base}/artifacts/${ids.m1}`, {
      metrics: { accuracy: 0.99 },
    });
    expect(p.status).toBe(200);
    expect(p.body.metrics).toEqual({ accuracy: 0.99 });
    expect(names((await list('sort=metrics.accuracy&limit=2')).body.items)).toEqual(['m1', 'm5']);
    expect(names((await list('sort=name&order=asc&limit=3')).body.items)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
    expect(names((await list('sort=created_at&order=desc&limit=1')).body.items)).toEqual(['m7']);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await list(`sort=name&order=desc&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...names(r.body.items));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(['m7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']);
  });

  it('filters by search, status, format and type, and refuses a cursor from another query', async () => {
    expect(names((await list('search=model%20m4')).body.items)).toEqual(['m4']);
    expect((await list('status=pending_upload')).body.items).toEqual([]);
    expect((await list('format=other&limit=200')).body.items).toHaveLength(7);
    expect((await list('type=dataset')).body.items).toEqual([]);
    const first = await list('sort=name&limit=1');
    const other = await list(`sort=size&limit=1&cursor=${first.body.nextCursor}`);
    expect(other.status).toBe(400);
    expect(other.body.code).toBe('validation_failed');
  });
});

describe('artifact deletion and persistence', () => {
  it('refuses deletion while a registered dependency holds the artifact, then deletes the stored bytes', async () => {
    const col = await reg.collection();
    const a = await reg.upload(col.id, randomBytes(64));
    const service = t.app.get(ArtifactsService);
    service.registerDependencyCheck('test', async (_m, art) =>
      art.id === a.id ? ['deployment d1 serves it'] : [],
    );
    const refused = await client.delete(`${reg.base}/artifacts/${a.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'artifact_in_use',
      details: { dependents: ['deployment d1 serves it'] },
    });
    service.registerDependencyCheck('test', async () => []);
    expect((await client.delete(`${reg.base}/artifacts/${a.id}`)).status).toBe(204);
    expect((await client.get(`${reg.base}/artifacts/${a.id}`)).status).toBe(404);
    expect(storedFiles().some((f) => f.includes(a.id))).toBe(false);
    // The collection is empty again and can go.
    expect((await client.delete(`${reg.base}/collections/${col.id}`)).status).toBe(204);
  });

  it('keeps collections, artifacts and their bytes across a restart', async () => {
    const col = await reg.collection({ name: 'persist' });
    const bytes = randomBytes(2048);
    const a = await reg.upload(col.id, bytes, { metrics: { f1: 0.5 }, tags: ['keep'] });
    t = await t.restart();
    client = http(t.baseURL, u.token);
    const again = await client.get(`${reg.base}/artifacts?tag=keep&sort=metrics.f1`);
    expect(again.status).toBe(200);
    expect(again.body.items.map((i: any) => i.id)).toEqual([a.id]);
    const d = await client.get(`${reg.base}/artifacts/${a.id}/download-url`);
    expect(Buffer.from(await (await fetch(d.body.url)).arrayBuffer()).equals(bytes)).toBe(true);
    expect((await client.get(`${reg.base}/collections/${col.id}`)).body.artifactsCount).toBe(1);
  }, 60_000);
});
