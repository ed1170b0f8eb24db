import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/harness.js';
import { rowCounts, tableDigest } from './testing/db-snapshot.js';
import { signupUser } from './testing/http.js';

let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let db: DataSource;
const long = (n: number) => 'x'.repeat(n);

beforeAll(async () => {
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'owner@input.test');
  db = t.app.get<DataSource>(getDataSourceToken());
});
afterAll(async () => t?.close());

/** [method, path template, bad bodies] — every body must be refused with 400 and change nothing. */
function cases(): [string, string, unknown[]][] {
  const o = `/v1/organizations/${u.org.id}`;
  const ob = `${o}/orbits/${u.orbit.id}`;
  return [
    [
      'POST',
      '/v1/auth/signup',
      [
        {},
        { email: 'not-an-email', password: 'password-123' },
        { email: 'a@b.test', password: 'short' },
        { email: 'a@b.test', password: 'password-123', admin: true },
        { email: 'a@b.test', password: 123456789 },
        { email: `${long(330)}@b.test`, password: 'password-123' },
      ],
    ],
    [
      'POST',
      '/v1/auth/signin',
      [{}, { email: 'a@b.test' }, { email: ['a@b.test'], password: 'x' }],
    ],
    ['PATCH', '/v1/users/me', [{ fullName: long(201) }, { fullName: 5 }, { email: 'new@b.test' }]],
    [
      'PUT',
      '/v1/users/me/password',
      [{ currentPassword: 'password-123', newPassword: 'short' }, { newPassword: 'long-enough-1' }],
    ],
    [
      'POST',
      '/v1/users/me/api-keys',
      [
        {},
        { name: '' },
        { name: '   ' },
        { name: long(101) },
        { name: 'k', orbitId: 'nope' },
        { name: 'k', expiresAt: 'tomorrow' },
        { name: 'k', scopes: ['all'] },
      ],
    ],
    [
      'POST',
      '/v1/organizations',
      [
        {},
        { name: '' },
        { name: long(101) },
        { name: '<script>' },
        { name: 'ok', description: long(2001) },
        { name: 'ok', plan: 'enterprise' },
        { name: 42 },
      ],
    ],
    ['PATCH', o, [{ name: '' }, { name: long(101) }, { id: 'x' }]],
    [
      'POST',
      `${o}/invitations`,
      [
        {},
        { email: 'x@y.test', role: 'owner' },
        { email: 'nope', role: 'member' },
        { email: 'x@y.test', role: 'member', token: 'x' },
      ],
    ],
    ['PATCH', `${o}/members/${u.orbit.id}`, [{ role: 'god' }, {}]],
    [
      'POST',
      `${o}/orbits`,
      [
        {},
        { name: '' },
        { name: long(101) },
        { name: 'ok', storageBackendId: 'nope' },
        { name: 'ok', maxArtifactBytes: -1 },
        { name: 'ok', maxArtifactBytes: '10' },
        { name: 'ok', owner: 'me' },
      ],
    ],
    ['PATCH', ob, [{ name: '' }, { maxArtifactBytes: 0 }, { organizationId: u.org.id }]],
    [
      'POST',
      `${ob}/members`,
      [{}, { userId: 'nope', role: 'member' }, { userId: u.user.id, role: 'owner' }],
    ],
  ];
}

describe('bad input', () => {
  it('refuses malformed, unknown, mistyped and oversized fields with 400 listing the fields, changing nothing', async () => {
    const counts = await rowCounts(db);
    const digest = await tableDigest(db, [
      'users',
      'organizations',
      'orbits',
      'organization_members',
      'orbit_members',
      'api_keys',
    ]);
    for (const [method, path, bodies] of cases()) {
      for (const body of bodies) {
        const r = await u.client.call(method, path, body);
        expect(
          r.status,
          `${method} ${path} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`,
        ).toBe(400);
        expect(r.body).toMatchObject({
          code: 'validation_failed',
          message: expect.any(String),
          requestId: expect.any(String),
        });
        expect(r.body.details.fields.length).toBeGreaterThan(0);
      }
    }
    expect(await rowCounts(db)).toEqual(counts);
    expect(
      await tableDigest(db, [
        'users',
        'organizations',
        'orbits',
        'organization_members',
        'orbit_members',
        'api_keys',
      ]),
    ).toBe(digest);
  });

  it('refuses a body that is not JSON, and a body over 1 MB', async () => {
    const r = await u.client.call('POST', `/v1/organizations`, '{"name": ', {});
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('bad_request');
    const big = await u.client.call(
      'POST',
      `/v1/organizations`,
      JSON.stringify({ name: 'x', description: long(1_100_000) }),
    );
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
  });

  it('answers 400 for ids that are not UUIDs and 404 for unknown ones', async () => {
    for (const [m, p] of [
      ['GET', '/v1/organizations/1'],
      ['GET', `/v1/organizations/${u.org.id}/orbits/abc`],
      ['DELETE', `/v1/organizations/${u.org.id}/members/zzz`],
      ['DELETE', '/v1/users/me/api-keys/1'],
    ]) {
      const r = await u.client.call(m!, p!);
      expect(r.status, p).toBe(400);
      expect(r.body.code).toBe('bad_request');
    }
    const r = await u.client.get('/v1/organizations/00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('organization_not_found');
  });

  it('does not leak internals for unknown routes and methods', async () => {
    const r = await u.client.get('/v1/nope');
    expect(r.status).toBe(404);
    expect(Object.keys(r.body).sort()).toEqual(['code', 'message', 'requestId']);
  });
});
