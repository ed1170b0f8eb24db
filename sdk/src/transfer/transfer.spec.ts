import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Apogee } from '../client.js';
import { APIConnectionError, ChecksumMismatchError } from '../core/errors.js';
import type { TransferProgress } from '../core/progress.js';
import { bytes, FakeTransferApi, sha, type FakeOptions } from '../test-utils/fake-transfer-api.js';

let api: FakeTransferApi;
let dir: string;

/** A fake API and a client without retries (connection cuts fail at once), unless asked. */
async function setup(options: FakeOptions = {}, maxRetries = 0): Promise<Apogee> {
  api = await new FakeTransferApi(options).start();
  return new Apogee({ apiKey: 'apg_test', baseURL: api.url, maxRetries });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apogee-sdk-'));
});
afterEach(async () => {
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

describe('upload', () => {
  it('uploads a small file in one PUT and completes it', async () => {
    const client = await setup();
    const content = bytes(100_000);
    const p = await file('model.onnx', content);
    const phases = new Set<string>();
    const a = await client.artifacts.upload(api.org, api.orbit, api.collection, p, {
      tags: ['prod'],
      metrics: { accuracy: 0.9 },
      resumeDir: join(dir, 'records'),
      onProgress: (e) => phases.add(e.phase),
    });
    expect(a.status).toBe('uploaded');
    expect(a.sha256).toBe(sha(content));
    expect(a.name).toBe('model.onnx');
    expect(a.tags).toEqual(['prod']);
    expect([...phases]).toEqual(['hashing', 'uploading', 'verifying']);
    expect(api.storageRequests('PUT')).toHaveLength(1);
    expect(sha(await readFile(join(api.dir, `${a.id}.0`)))).toBe(sha(content));
  });

  it('never sends the API key to storage URLs', async () => {
    const client = await setup();
    await client.artifacts.upload(
      api.org,
      api.orbit,
      api.collection,
      await file('m.bin', bytes(10)),
      { resumeDir: false },
    );
    const storage = api.storageRequests();
    expect(storage.length).toBeGreaterThan(0);
    for (const r of storage) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['x-fake-sig']).toBe('ok');
    }
  });

  it('uploads a large file in parallel parts, retrying a failed part', async () => {
    const client = await setup(
      { multipartThreshold: 100_000, partSize: 64 * 1024, failPartsOnce: [3] },
      1,
    );
    const content = bytes(64 * 1024 * 7 + 123, 7);
    const progress: TransferProgress[] = [];
    const a = await client.artifacts.upload(
      api.org,
      api.orbit,
      api.collection,
      await file('big.bin', content),
      {
        concurrency: 3,
        resumeDir: false,
        onProgress: (e) => progress.push(e),
      },
    );
    expect(a.status).toBe('uploaded');
    const puts = api.storageRequests('PUT');
    expect(puts).toHaveLength(9); // 8 parts + one retry of part 3
    expect(puts.every((r) => Number(r.headers['content-length']) <= 64 * 1024)).toBe(true);
    const uploading = progress.filter((e) => e.phase === 'uploading');
    expect(uploading.at(-1)).toMatchObject({
      loadedBytes: content.length,
      totalBytes: content.length,
    });
    expect(uploading.every((e) => e.loadedBytes <= content.length)).toBe(true);
  });

  it('uploads a Blob, hashing it incrementally', async () => {
    const client = await setup({ multipartThreshold: 50_000, partSize: 32 * 1024 });
    const content = bytes(200_000, 3);
    const a = await client.artifacts.upload(
      api.org,
      api.orbit,
      api.collection,
      new Blob([content]),
      {
        fileName: 'weights.safetensors',
      },
    );
    expect(a.status).toBe('uploaded');
    expect(a.sha256).toBe(sha(content));
    expect(a.fileName).toBe('weights.safetensors');
  });

  it('resumes an interrupted multipart upload, sending only the missing parts', async () => {
    const client = await setup({
      multipartThreshold: 100_000,
      partSize: 64 * 1024,
      breakParts: [5],
    });
    const content = bytes(64 * 1024 * 6, 11);
    const p = await file('resume.bin', content);
    const records = join(dir, 'records');
    const first = await client.artifacts
      .upload(api.org, api.orbit, api.collection, p, { concurrency: 1, resumeDir: records })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(APIConnectionError);
    const [pending] = [...api.artifacts.values()];
    expect(pending!.artifact.status).toBe('pending_upload');
    expect([...pending!.parts.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(await readdir(records)).toHaveLength(1);

    api.options.breakParts = [];
    const before = api.storageRequests('PUT').length;
    const a = await client.artifacts.upload(api.org, api.orbit, api.collection, p, {
      resumeDir: records,
    });
    expect(a.id).toBe(pending!.artifact.id);
    expect(a.status).toBe('uploaded');
    const resent = api
      .storageRequests('PUT')
      .slice(before)
      .map((r) => Number(r.path.split('/')[3]));
    expect(resent.sort()).toEqual([5, 6]);
    expect(api.artifacts.size).toBe(1);
    expect(await readdir(records)).toHaveLength(0);
  });

  it('resumes without a local record by finding the pending artifact through the list API', async () => {
    const client = await setup({
      multipartThreshold: 100_000,
      partSize: 64 * 1024,
      breakParts: [4],
    });
    const content = bytes(64 * 1024 * 5, 5);
    await client.artifacts
      .upload(api.org, api.orbit, api.collection, new Blob([content]), {
        fileName: 'x.bin',
        concurrency: 1,
      })
      .catch(() => undefined);
    api.options.breakParts = [];
    const before = api.storageRequests('PUT').length;
    const a = await client.artifacts.upload(
      api.org,
      api.orbit,
      api.collection,
      new Blob([content]),
      { fileName: 'x.bin' },
    );
    expect(a.status).toBe('uploaded');
    expect(api.artifacts.size).toBe(1);
    const listCalls = api.server.requests.filter(
      (r) => r.path.endsWith('/artifacts') && r.method === 'GET',
    );
    expect(listCalls.at(-1)!.query.get('status')).toBe('pending_upload');
    expect(listCalls.at(-1)!.query.get('collectionId')).toBe(api.collection);
    expect(
      api
        .storageRequests('PUT')
        .slice(before)
        .map((r) => Number(r.path.split('/')[3]))
        .sort(),
    ).toEqual([4, 5]);
  });

  it('reuses the cached sha256 of an unchanged file', async () => {
    const client = await setup({
      multipartThreshold: 100_000,
      partSize: 64 * 1024,
      breakParts: [2],
    });
    const p = await file('cached.bin', bytes(64 * 1024 * 3));
    const records = join(dir, 'records');
    await client.artifacts
      .upload(api.org, api.orbit, api.collection, p, { resumeDir: records, concurrency: 1 })
      .catch(() => undefined);
    api.options.breakParts = [];
    const hashing: TransferProgress[] = [];
    await client.artifacts.upload(api.org, api.orbit, api.collection, p, {
      resumeDir: records,
      onProgress: (e) => e.phase === 'hashing' && hashing.push(e),
    });
    // A fresh hash reports from 0; a cached one reports done at once.
    expect(hashing[0]!.loadedBytes).toBe(64 * 1024 * 3);
  });

  it('starts a new artifact when the file changed', async () => {
    const client = await setup({
      multipartThreshold: 100_000,
      partSize: 64 * 1024,
      breakParts: [2],
    });
    const p = await file('changing.bin', bytes(64 * 1024 * 3, 1));
    const records = join(dir, 'records');
    await client.artifacts
      .upload(api.org, api.orbit, api.collection, p, { resumeDir: records, concurrency: 1 })
      .catch(() => undefined);
    api.options.breakParts = [];
    const changed = bytes(64 * 1024 * 3, 2);
    await writeFile(p, changed);
    const a = await client.artifacts.upload(api.org, api.orbit, api.collection, p, {
      resumeDir: records,
    });
    expect(a.sha256).toBe(sha(changed));
    expect(api.artifacts.size).toBe(2);
  });

  it('stops when the signal aborts, leaving the upload resumable', async () => {
    const client = await setup({ multipartThreshold: 100_000, partSize: 64 * 1024 });
    const ac = new AbortController();
    const p = await file('abort.bin', bytes(64 * 1024 * 4));
    const err = await client.artifacts
      .upload(api.org, api.orbit, api.collection, p, {
        resumeDir: false,
        concurrency: 1,
        signal: ac.signal,
        onProgress: (e) => e.phase === 'uploading' && e.loadedBytes > 0 && ac.abort(),
      })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('APIUserAbortError');
    expect([...api.artifacts.values()][0]!.artifact.status).toBe('pending_upload');
  });
});

describe('download', () => {
  it('downloads with parallel Range requests and verifies the sha256', async () => {
    const client = await setup();
    const content = bytes(1_000_000, 9);
    const a = await api.seedArtifact(content);
    const r = await client.artifacts.download(api.org, api.orbit, a.id, join(dir, 'out.bin'), {
      chunkSize: 128 * 1024,
      concurrency: 3,
    });
    expect(r).toMatchObject({ size: content.length, sha256: sha(content), resumedBytes: 0 });
    expect(sha(await readFile(r.path))).toBe(sha(content));
    const gets = api.storageRequests('GET');
    expect(gets).toHaveLength(8);
    expect(gets.every((g) => /^bytes=\d+-\d+$/.test(g.headers.range ?? ''))).toBe(true);
    expect(existsSync(join(dir, 'out.bin.part'))).toBe(false);
    expect(existsSync(join(dir, 'out.bin.part.json'))).toBe(false);
  });

  it('saves under the artifact file name when given a directory', async () => {
    const client = await setup();
    const a = await api.seedArtifact(bytes(1000));
    const r = await client.artifacts.download(api.org, api.orbit, a.id, dir);
    expect(r.path).toBe(join(dir, 'model.bin'));
  });

  it('resumes an interrupted download from its .part file', async () => {
    const client = await setup({ breakDownloadsFrom: 5 * 65536 });
    const content = bytes(10 * 65536, 4);
    const a = await api.seedArtifact(content);
    const dest = join(dir, 'resume.bin');
    const first = await client.artifacts
      .download(api.org, api.orbit, a.id, dest, { chunkSize: 65536, concurrency: 1 })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(APIConnectionError);
    expect(existsSync(`${dest}.part`)).toBe(true);
    expect(existsSync(`${dest}.part.json`)).toBe(true);

    api.options.breakDownloadsFrom = undefined;
    const before = api.storageRequests('GET').length;
    const progress: TransferProgress[] = [];
    const r = await client.artifacts.download(api.org, api.orbit, a.id, dest, {
      chunkSize: 65536,
      onProgress: (e) => progress.push(e),
    });
    expect(r.resumedBytes).toBe(5 * 65536);
    expect(api.storageRequests('GET').slice(before)).toHaveLength(5);
    expect(progress[0]).toMatchObject({ phase: 'downloading', loadedBytes: 5 * 65536 });
    expect(sha(await readFile(dest))).toBe(sha(content));
  });

  it('falls back to one stream when storage ignores Range', async () => {
    const client = await setup({ ignoreRange: true });
    const content = bytes(300_000, 6);
    const a = await api.seedArtifact(content);
    const r = await client.artifacts.download(api.org, api.orbit, a.id, join(dir, 'norange.bin'), {
      chunkSize: 65536,
    });
    expect(sha(await readFile(r.path))).toBe(sha(content));
  });

  it('rejects bytes that do not match the sha256 and keeps no file', async () => {
    const client = await setup({ corruptDownload: true });
    const a = await api.seedArtifact(bytes(100_000));
    const dest = join(dir, 'bad.bin');
    const err = await client.artifacts
      .download(api.org, api.orbit, a.id, dest)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('downloads an empty artifact', async () => {
    const client = await setup();
    const a = await api.seedArtifact(Buffer.alloc(0));
    const r = await client.artifacts.download(api.org, api.orbit, a.id, join(dir, 'empty.bin'));
    expect(r.size).toBe(0);
    expect((await readFile(r.path)).length).toBe(0);
  });
});
