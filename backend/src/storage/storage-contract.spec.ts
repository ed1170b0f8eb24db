/**
 * One contract for every storage driver, run against real servers: the local-disk driver behind
 * a booted API, radosgw (S3) and Azurite (Azure). Drivers are called directly; bytes move over
 * HTTP with plain fetch, as a client would send them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { AzureDriver } from './azure.driver.js';
import { S3Driver } from './s3.driver.js';
import type { SignedRequest, StorageDriver } from './storage-driver.js';
import { StorageDriversService } from './storage-drivers.service.js';
import { StorageObjectNotFound } from './storage-errors.js';
import {
  REQUIRE_STORAGE,
  s3TestBucket,
  startAzurite,
  type AzureTarget,
  type S3Target,
} from './storage-servers.testing.js';

const MiB = 1024 * 1024;

interface Target {
  driver: StorageDriver;
  /** Drivers for the same store with a broken setting, for connection-test failures. */
  broken?: { wrongSecret: StorageDriver; unreachable: StorageDriver; missingBucket: StorageDriver };
  close(): Promise<void>;
}

type Setup = () => Promise<Target | { skip: string }>;

const setups: Record<'local' | 's3' | 'azure', Setup> = {
  async local() {
    const t: TestApp = await startTestApp();
    return { driver: t.app.get(StorageDriversService).local(randomUUID()), close: () => t.close() };
  },
  async s3() {
    const a = await s3TestBucket();
    if (!a.ok) return { skip: a.reason };
    const { settings, credentials }: S3Target = a.target;
    return {
      driver: new S3Driver(settings, credentials),
      broken: {
        wrongSecret: S3Driver.forProbe(settings, {
          ...credentials,
          secretAccessKey: 'not-the-secret',
        }),
        unreachable: S3Driver.forProbe(
          { ...settings, endpoint: 'http://127.0.0.1:9' },
          credentials,
        ),
        missingBucket: S3Driver.forProbe(
          { ...settings, bucket: `${settings.bucket}-missing` },
          credentials,
        ),
      },
      close: async () => undefined,
    };
  },
  async azure() {
    const a = await startAzurite();
    if (!a.ok) return { skip: a.reason };
    const { settings, credentials }: AzureTarget = a.target;
    return {
      driver: new AzureDriver(settings, credentials),
      broken: {
        wrongSecret: AzureDriver.forProbe(settings, {
          accountKey: randomBytes(64).toString('base64'),
        }),
        unreachable: AzureDriver.forProbe(
          { ...settings, accountUrl: 'http://127.0.0.1:9/devstoreaccount1' },
          credentials,
        ),
        missingBucket: AzureDriver.forProbe(
          { ...settings, container: `${settings.container}-missing` },
          credentials,
        ),
      },
      close: () => a.target.stop(),
    };
  },
};

async function send(
  req: SignedRequest,
  body?: Buffer,
  extra: Record<string, string> = {},
): Promise<Response> {
  return fetch(req.url, { method: req.method, headers: { ...req.headers, ...extra }, body });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

for (const [name, setup] of Object.entries(setups)) {
  describe(`storage contract: ${name}`, () => {
    let target: Target | null = null;
    let skipReason = '';
    beforeAll(async () => {
      const r = await setup();
      if ('skip' in r) {
        skipReason = r.skip;
        if (!REQUIRE_STORAGE) console.warn(`[storage contract: ${name}] skipped: ${r.skip}`);
      } else target = r;
    }, 60_000);
    afterAll(async () => target?.close());

    /** The driver, or a skip (or with APOGEE_REQUIRE_STORAGE=1 a failure) naming the missing server. */
    const use = (ctx: { skip: (note?: string) => void }): Target => {
      if (target) return target;
      if (REQUIRE_STORAGE) throw new Error(`APOGEE_REQUIRE_STORAGE=1 but ${skipReason}`);
      ctx.skip(skipReason);
      throw new Error('unreachable');
    };

    it('stores an object through a signed PUT and serves ranges of it', async (ctx) => {
      const { driver } = use(ctx);
      const key = `objects/${randomUUID()}`;
      const data = randomBytes(300_000);
      const put = await driver.signPut(key, {
        size: data.length,
        contentType: 'application/octet-stream',
        ttlSec: 60,
      });
      expect(put.method).toBe('PUT');
      expect(put.expiresAt.getTime()).toBeGreaterThan(Date.now());
      const r = await send(put, data);
      expect(r.status, await r.text()).toBeLessThan(300);
      expect(await driver.head(key)).toEqual({ size: data.length });

      const get = await driver.signGet(key, { ttlSec: 60, fileName: 'model v1.onnx' });
      const ranged = await send(get, undefined, { range: 'bytes=1000-1999' });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true);
      const whole = await send(get);
      expect(whole.headers.get('content-disposition')).toContain(
        'model v1.onnx'.replace(' ', '%20'),
      );
      expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(data));

      expect(
        (await readAll(await driver.read(key, { start: 10, end: 19 }))).equals(
          data.subarray(10, 20),
        ),
      ).toBe(true);
      expect(sha256(await readAll(await driver.read(key)))).toBe(sha256(data));

      await driver.delete(key);
      expect(await driver.head(key)).toBeNull();
      await expect(driver.read(key)).rejects.toBeInstanceOf(StorageObjectNotFound);
    });

    it('refuses a signed PUT whose body is not the signed size', async (ctx) => {
      const { driver } = use(ctx);
      const key = `objects/${randomUUID()}`;
      const put = await driver.signPut(key, {
        size: 100,
        contentType: 'application/octet-stream',
        ttlSec: 60,
      });
      const r = await send(put, randomBytes(150));
      // Azure SAS cannot bind a size: there the API's completion check is what refuses it.
      if (driver.kind === 'azure') expect(r.status).toBeLessThan(300);
      else expect(r.status).toBeGreaterThanOrEqual(400);
    });

    it('uploads parts in parallel, lists what it holds for a resume, and completes', async (ctx) => {
      const { driver } = use(ctx);
      const key = `multipart/${randomUUID()}`;
      // 7 × 5 MiB (S3's smallest part) + a tail, sent out of order and in two rounds.
      const parts = [
        ...Array.from({ length: 7 }, () => randomBytes(5 * MiB)),
        randomBytes(123_457),
      ];
      const all = parts.map((_, i) => i + 1);
      const whole = Buffer.concat(parts);
      const uploadId = await driver.createMultipart(key, {
        contentType: 'application/octet-stream',
      });
      const sign = (n: number) =>
        driver.signPart(key, uploadId, n, { size: parts[n - 1]!.length, ttlSec: 60 });

      // Parts 8, 1 and 5 first, concurrently; then the client "crashes" and resumes from listParts.
      const first = await Promise.all(
        [8, 1, 5].map(async (n) => ({ n, r: await send(await sign(n), parts[n - 1]) })),
      );
      for (const { r } of first) expect(r.status, await r.clone().text()).toBeLessThan(300);
      const held = await driver.listParts(key, uploadId);
      expect(held.map((p) => [p.partNumber, p.size])).toEqual([
        [1, 5 * MiB],
        [5, 5 * MiB],
        [8, 123_457],
      ]);
      const rest = await Promise.all(
        [2, 3, 4, 6, 7].map(async (n) => (await send(await sign(n), parts[n - 1])).status),
      );
      expect(rest.every((s) => s < 300)).toBe(true);

      const listed = await driver.listParts(key, uploadId);
      expect(listed.map((p) => p.partNumber)).toEqual(all);
      // Etags as a client holds them: from each PUT response where the store sends one, else from the list.
      const etags = new Map(listed.map((p) => [p.partNumber, p.etag]));
      for (const { n, r } of first) if (r.headers.get('etag')) etags.set(n, r.headers.get('etag')!);
      await driver.completeMultipart(
        key,
        uploadId,
        all.map((n) => ({ partNumber: n, etag: etags.get(n)! })),
      );

      expect(await driver.head(key)).toEqual({ size: whole.length });
      expect(sha256(await readAll(await driver.read(key)))).toBe(sha256(whole));
      const tail = await readAll(
        await driver.read(key, { start: whole.length - 1000, end: whole.length - 1 }),
      );
      expect(tail.equals(whole.subarray(whole.length - 1000))).toBe(true);
      await driver.delete(key);
    });

    it('aborts a multipart upload and forgets its parts', async (ctx) => {
      const { driver } = use(ctx);
      const key = `multipart/${randomUUID()}`;
      const uploadId = await driver.createMultipart(key, {
        contentType: 'application/octet-stream',
      });
      const body = randomBytes(1000);
      expect(
        (
          await send(
            await driver.signPart(key, uploadId, 1, { size: body.length, ttlSec: 60 }),
            body,
          )
        ).status,
      ).toBeLessThan(300);
      expect(await driver.listParts(key, uploadId)).toHaveLength(1);
      await driver.abortMultipart(key, uploadId);
      const after = await driver.listParts(key, uploadId).catch((e: { code?: string }) => e.code);
      expect([[], 'upload_not_found']).toContainEqual(after);
      expect(await driver.head(key)).toBeNull();
      // Aborting twice is harmless.
      await driver.abortMultipart(key, uploadId);
    });

    it('refuses a part URL replayed after it expired', async (ctx) => {
      const { driver } = use(ctx);
      const key = `multipart/${randomUUID()}`;
      const uploadId = await driver.createMultipart(key, {
        contentType: 'application/octet-stream',
      });
      const body = randomBytes(2048);
      const short = await driver.signPart(key, uploadId, 1, { size: body.length, ttlSec: 1 });
      expect((await send(short, body)).status).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 2200));
      const replay = await send(short, body);
      expect(replay.status).toBe(403);
      await driver.abortMultipart(key, uploadId);
    });

    it('passes its connection test: list, write, read, delete', async (ctx) => {
      const { driver } = use(ctx);
      const checks = await driver.testConnection();
      expect(checks.map((c) => [c.step, c.ok])).toEqual([
        ['list', true],
        ['write', true],
        ['read', true],
        ['delete', true],
      ]);
    });

    it('names the failing step and the cause for a wrong secret, an unreachable endpoint and a missing bucket', async (ctx) => {
      const t = use(ctx);
      if (!t.broken) return ctx.skip('the local disk has no credentials or endpoint');
      const wrong = await t.broken.wrongSecret.testConnection();
      expect(wrong).toEqual([
        {
          step: 'list',
          ok: false,
          ms: expect.any(Number),
          error: expect.stringMatching(/secret|key|AuthenticationFailed/i),
        },
      ]);
      const down = await t.broken.unreachable.testConnection();
      expect(down).toEqual([
        {
          step: 'list',
          ok: false,
          ms: expect.any(Number),
          error: expect.stringMatching(/unreachable.*127\.0\.0\.1:9/),
        },
      ]);
      const missing = await t.broken.missingBucket.testConnection();
      expect(missing).toEqual([
        {
          step: 'list',
          ok: false,
          ms: expect.any(Number),
          error: expect.stringMatching(/does not exist/),
        },
      ]);
    });
  });
}
