import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Apogee,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  BadRequestError,
  AuthenticationError,
} from '@apogee/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/harness.js';

/** The platform core end to end, as a notebook user drives it: through @apogee/sdk only. */
const MIB = 1024 * 1024;
let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp({
    APOGEE_MULTIPART_THRESHOLD: String(8 * MIB),
    APOGEE_PART_SIZE: String(5 * MIB),
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-sdk-e2e-'));
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the SDK against the API', () => {
  it('signs up, mints an API key, and runs the registry flow with typed errors', async () => {
    const anon = new Apogee({ baseURL: t.baseURL, apiKey: null });
    const session = await anon.auth.signup({
      email: 'notebook@sdk.test',
      password: 'password-123',
      fullName: 'Nora',
    });
    const viaSession = new Apogee({ baseURL: t.baseURL, apiKey: session.accessToken });
    const key = await viaSession.apiKeys.create({ name: 'notebook' });
    const client = new Apogee({ baseURL: t.baseURL, apiKey: key.key, maxRetries: 0 });

    const [org] = (await client.organizations.list()).items;
    const orbit = await client.orbits.create(org!.id, { name: 'vision' });
    expect(orbit.permissions.artifact).toContain('create');
    const col = await client.collections.create(org!.id, orbit.id, {
      name: 'classifiers',
      type: 'model',
    });

    // a 21 MiB file goes multipart (5 MiB parts) with progress to 100 %
    const file = path.join(dir, 'resnet.bin');
    const bytes = randomBytes(21 * MIB);
    fs.writeFileSync(file, bytes);
    const seen: number[] = [];
    const big = await client.artifacts.upload(org!.id, orbit.id, col.id, file, {
      name: 'resnet',
      tags: ['vision', 'prod'],
      metrics: { accuracy: 0.91, loss: 0.3 },
      onProgress: (p) => p.phase === 'uploading' && seen.push(p.loadedBytes / p.totalBytes),
    });
    expect(big.status).toBe('uploaded');
    expect(big.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(seen.at(-1)).toBe(1);
    for (const [i, acc] of [0.5, 0.97, 0.75].entries()) {
      await client.artifacts.upload(org!.id, orbit.id, col.id, new Blob([`model ${i}`]), {
        name: `m${i}`,
        fileName: `m${i}.bin`,
        tags: ['vision'],
        metrics: { accuracy: acc },
      });
    }

    const ranked: string[] = [];
    for await (const a of client.artifacts.list(org!.id, orbit.id, {
      tag: ['vision'],
      sort: 'metrics.accuracy',
      order: 'desc',
      limit: 2,
    }))
      ranked.push(a.name);
    expect(ranked).toEqual(['m1', 'resnet', 'm2', 'm0']);

    const out = await client.artifacts.download(
      org!.id,
      orbit.id,
      big.id,
      path.join(dir, 'copy.bin'),
      { concurrency: 4 },
    );
    expect(out.sha256).toBe(big.sha256);
    expect(fs.readFileSync(out.path).equals(bytes)).toBe(true);

    await expect(client.collections.delete(org!.id, orbit.id, col.id)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(
      client.orbits.get(org!.id, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.orbits.create(org!.id, { name: '' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    const err: unknown = await client.orbits
      .get(org!.id, '00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).requestId).toMatch(/.+/);

    // secrets never come back in lists; reveal is explicit
    await client.secrets.create(org!.id, orbit.id, { name: 'HF_TOKEN', value: 'hf_secret_value' });
    const listed = await client.secrets.list(org!.id, orbit.id);
    expect(JSON.stringify(listed)).not.toContain('hf_secret_value');

    // another organization's user reaches none of it
    const stranger = await anon.auth.signup({
      email: 'stranger@sdk.test',
      password: 'password-123',
    });
    const other = new Apogee({ baseURL: t.baseURL, apiKey: stranger.accessToken, maxRetries: 0 });
    await expect(other.artifacts.get(org!.id, orbit.id, big.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(other.collections.list(org!.id, orbit.id)).rejects.toBeInstanceOf(NotFoundError);

    // a revoked key stops working at once
    await viaSession.apiKeys.revoke(key.id);
    await expect(client.users.me()).rejects.toBeInstanceOf(AuthenticationError);
    expect(PermissionDeniedError).toBeDefined();
  });
});
