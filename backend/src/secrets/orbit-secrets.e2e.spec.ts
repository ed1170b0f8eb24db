import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';

let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let client: Http;
let base: string;

beforeAll(async () => {
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'secrets@example.com');
  client = u.client;
  base = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/secrets`;
}, 60_000);
afterAll(async () => t?.close());

describe('orbit secrets', () => {
  it('stores values encrypted, never lists them, and reveals them with an audit event', async () => {
    const c = await client.post(base, {
      name: 'HF_TOKEN',
      value: 'hf_supersecret',
      description: 'Hugging Face',
      tags: ['hf'],
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      name: 'HF_TOKEN',
      description: 'Hugging Face',
      tags: ['hf'],
      createdBy: u.user.id,
    });
    expect(JSON.stringify(c.body)).not.toContain('hf_supersecret');
    const db = t.app.get<DataSource>(getDataSourceToken());
    const [row] = await db.query('SELECT value_encrypted FROM orbit_secrets WHERE id = $1', [
      c.body.id,
    ]);
    expect(row.value_encrypted).toMatch(/^v1\./);
    expect(row.value_encrypted).not.toContain('hf_supersecret');
    const list = await client.get(base);
    expect(list.body.map((s: any) => s.name)).toEqual(['HF_TOKEN']);
    expect(JSON.stringify(list.body)).not.toContain('hf_supersecret');
    expect(JSON.stringify((await client.get(`${base}/${c.body.id}`)).body)).not.toContain(
      'hf_supersecret',
    );
    const v = await client.get(`${base}/${c.body.id}/value`);
    expect(v.body).toEqual({ id: c.body.id, name: 'HF_TOKEN', value: 'hf_supersecret' });
    const audit = await client.get(
      `/v1/organizations/${u.org.id}/audit-events?action=orbit_secret.`,
    );
    expect(audit.body.items.map((e: any) => e.action)).toEqual([
      'orbit_secret.reveal',
      'orbit_secret.create',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain('hf_supersecret');
  });

  it('updates the value, description and tags, and refuses a duplicate name with 409', async () => {
    const c = await client.post(base, { name: 'DB_PASSWORD', value: 'one' });
    expect((await client.post(base, { name: 'DB_PASSWORD', value: 'two' })).status).toBe(409);
    const p = await client.patch(`${base}/${c.body.id}`, {
      value: 'ünïcode ✓',
      description: 'rotated',
      tags: ['db'],
    });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ description: 'rotated', tags: ['db'] });
    expect((await client.get(`${base}/${c.body.id}/value`)).body.value).toBe('ünïcode ✓');
    const big = 'x'.repeat(64 * 1024);
    expect((await client.patch(`${base}/${c.body.id}`, { value: big })).status).toBe(200);
    expect((await client.get(`${base}/${c.body.id}/value`)).body.value).toBe(big);
  });

  it('deletes a secret, keeps the others across a restart, and 404s an unknown id', async () => {
    const c = await client.post(base, { name: 'TEMP', value: 'gone soon' });
    expect((await client.delete(`${base}/${c.body.id}`)).status).toBe(204);
    expect((await client.get(`${base}/${c.body.id}`)).status).toBe(404);
    expect((await client.delete(`${base}/${c.body.id}`)).status).toBe(404);
    t = await t.restart();
    client = http(t.baseURL, u.token);
    const list = await client.get(base);
    expect(list.body.map((s: any) => s.name)).toEqual(['DB_PASSWORD', 'HF_TOKEN']);
    const hf = list.body.find((s: any) => s.name === 'HF_TOKEN');
    expect((await client.get(`${base}/${hf.id}/value`)).body.value).toBe('hf_supersecret');
  }, 60_000);
});
