import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser, type Http } from '../testing/http.js';

let t: TestApp;
let client: Http;
let reg: ReturnType<typeof registry>;

beforeAll(async () => {
  t = await startTestApp();
  const u = await signupUser(t.baseURL, 'collections@example.com');
  client = u.client;
  reg = registry(client, u.org.id, u.orbit.id);
}, 60_000);
afterAll(async () => t?.close());

describe('collections', () => {
  it('creates, reads, updates and deletes a collection; names are unique per orbit', async () => {
    const c = await reg.collection({
      name: 'vision',
      type: 'model',
      description: 'cameras',
      tags: ['cv'],
    });
    expect(c).toMatchObject({
      name: 'vision',
      type: 'model',
      description: 'cameras',
      tags: ['cv'],
      artifactsCount: 0,
    });
    expect(
      (await client.post(`${reg.base}/collections`, { name: 'vision', type: 'dataset' })).status,
    ).toBe(409);
    const p = await client.patch(`${reg.base}/collections/${c.id}`, {
      description: 'all cameras',
      tags: ['cv', 'prod'],
      type: 'mixed',
    });
    expect(p.body).toMatchObject({
      description: 'all cameras',
      tags: ['cv', 'prod'],
      type: 'mixed',
    });
    expect((await client.get(`${reg.base}/collections/${c.id}`)).body.name).toBe('vision');
    expect((await client.delete(`${reg.base}/collections/${c.id}`)).status).toBe(204);
    expect((await client.get(`${reg.base}/collections/${c.id}`)).status).toBe(404);
  });

  it('refuses to delete a collection that holds artifacts, and keeps artifact types consistent', async () => {
    const c = await reg.collection({ type: 'dataset' });
    const wrong = await reg.create(c.id, randomBytes(5), { type: 'model' });
    expect(wrong.status).toBe(400);
    const a = await reg.create(c.id, randomBytes(5));
    expect(a.body.artifact.type).toBe('dataset');
    const del = await client.delete(`${reg.base}/collections/${c.id}`);
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('collection_not_empty');
    expect((await client.patch(`${reg.base}/collections/${c.id}`, { type: 'model' })).status).toBe(
      409,
    );
    expect((await client.delete(`${reg.base}/artifacts/${a.body.artifact.id}`)).status).toBe(204);
    expect((await client.delete(`${reg.base}/collections/${c.id}`)).status).toBe(204);
  });

  it('lists with search, type filter, sorting by artifact count and cursor pagination', async () => {
    const made: any[] = [];
    for (const [name, type, n] of [
      ['alpha', 'model', 2],
      ['beta', 'dataset', 0],
      ['gamma', 'model', 1],
      ['delta', 'experiment', 3],
    ] as const) {
      const c = await reg.collection({ name: `list-${name}`, type, description: `about ${name}` });
      for (let i = 0; i < n; i++) await reg.create(c.id, randomBytes(3));
      made.push(c);
    }
    const q = (qs: string) => client.get(`${reg.base}/collections?search=list-&${qs}`);
    expect(
      (await q('sort=artifacts_count&order=desc')).body.items.map((c: any) => [
        c.name,
        c.artifactsCount,
      ]),
    ).toEqual([
      ['list-delta', 3],
      ['list-alpha', 2],
      ['list-gamma', 1],
      ['list-beta', 0],
    ]);
    expect((await q('type=model&sort=name&order=asc')).body.items.map((c: any) => c.name)).toEqual([
      'list-alpha',
      'list-gamma',
    ]);
    expect(
      (await client.get(`${reg.base}/collections?search=about%20gam`)).body.items.map(
        (c: any) => c.name,
      ),
    ).toEqual(['list-gamma']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await q(
        `sort=created_at&order=asc&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((c: any) => c.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['list-alpha', 'list-beta', 'list-gamma', 'list-delta']);
    const byCount: string[] = [];
    cursor = null;
    do {
      const r: any = await q(`sort=artifacts_count&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      byCount.push(...r.body.items.map((c: any) => c.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(byCount).toEqual(['list-delta', 'list-alpha', 'list-gamma', 'list-beta']);
  });
});
