import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/harness.js';
import { http, signupUser } from './testing/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ APOGEE_SIGNIN_MAX_FAILURES: '3' });
});
afterAll(async () => t?.close());

describe('accounts', () => {
  it('signs up a user with a personal organization and default orbit', async () => {
    const u = await signupUser(t.baseURL, 'ada@example.com');
    expect(u.user.email).toBe('ada@example.com');
    expect(u.org.role).toBe('owner');
    expect(u.org.permissions.organization).toContain('delete');
    expect(u.orbit.name).toBe('default');
    const me = await u.client.get('/v1/users/me');
    expect(me.status).toBe(200);
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('refuses a second account with the same email in any case', async () => {
    await signupUser(t.baseURL, 'bob@example.com');
    const r = await http(t.baseURL).post('/v1/auth/signup', {
      email: 'BOB@example.com',
      password: 'password-123',
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'email_taken', requestId: expect.any(String) });
  });

  it('signs the bootstrap admin in, rotates the refresh token and detects reuse', async () => {
    const anon = http(t.baseURL);
    const s = await anon.post('/v1/auth/signin', t.admin);
    expect(s.status).toBe(200);
    const r1 = await anon.post('/v1/auth/refresh', { refreshToken: s.body.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(s.body.refreshToken);
    // Replaying the rotated token revokes the family, including the newest token.
    const replay = await anon.post('/v1/auth/refresh', { refreshToken: s.body.refreshToken });
    expect(replay.status).toBe(401);
    const r2 = await anon.post('/v1/auth/refresh', { refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(401);
  });

  it('signs out by revoking the refresh token', async () => {
    const anon = http(t.baseURL);
    const s = await anon.post('/v1/auth/signin', t.admin);
    expect(
      (await anon.post('/v1/auth/signout', { refreshToken: s.body.refreshToken })).status,
    ).toBe(204);
    expect(
      (await anon.post('/v1/auth/refresh', { refreshToken: s.body.refreshToken })).status,
    ).toBe(401);
  });

  it('throttles repeated failed sign-ins with 429 and Retry-After', async () => {
    await signupUser(t.baseURL, 'carol@example.com');
    const anon = http(t.baseURL);
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await anon.post('/v1/auth/signin', {
            email: 'carol@example.com',
            password: 'wrong-password',
          })
        ).status,
      ).toBe(401);
    }
    const blocked = await anon.post('/v1/auth/signin', {
      email: 'carol@example.com',
      password: 'password-123',
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('changes the password, ends other sessions and accepts only the new password', async () => {
    const u = await signupUser(t.baseURL, 'dan@example.com');
    const wrong = await u.client.put('/v1/users/me/password', {
      currentPassword: 'nope',
      newPassword: 'new-password-1',
    });
    expect(wrong.status).toBe(400);
    expect(
      (
        await u.client.put('/v1/users/me/password', {
          currentPassword: 'password-123',
          newPassword: 'new-password-1',
        })
      ).status,
    ).toBe(204);
    expect(
      (await http(t.baseURL).post('/v1/auth/refresh', { refreshToken: u.session.refreshToken }))
        .status,
    ).toBe(401);
    expect(
      (
        await http(t.baseURL).post('/v1/auth/signin', {
          email: 'dan@example.com',
          password: 'password-123',
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await http(t.baseURL).post('/v1/auth/signin', {
          email: 'dan@example.com',
          password: 'new-password-1',
        })
      ).status,
    ).toBe(200);
  });

  it('creates API keys shown once, authenticates with them, and honours revocation and expiry', async () => {
    const u = await signupUser(t.baseURL, 'erin@example.com');
    const created = await u.client.post('/v1/users/me/api-keys', { name: 'notebook' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^apg_/);
    const list = await u.client.get('/v1/users/me/api-keys');
    expect(list.body).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const viaKey = http(t.baseURL, created.body.key);
    expect((await viaKey.get('/v1/users/me')).body.email).toBe('erin@example.com');
    // an API key cannot mint more keys
    expect((await viaKey.post('/v1/users/me/api-keys', { name: 'x' })).status).toBe(403);
    expect((await u.client.delete(`/v1/users/me/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await viaKey.get('/v1/users/me')).status).toBe(401);
    const past = await u.client.post('/v1/users/me/api-keys', {
      name: 'old',
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
  });

  it('authenticates a browser through httpOnly cookies and refreshes from the refresh cookie', async () => {
    const res = await fetch(`${t.baseURL}/v1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(t.admin),
    });
    const cookies = res.headers.getSetCookie();
    const access = cookies.find((c) => c.startsWith('apogee_access='))!;
    const refresh = cookies.find((c) => c.startsWith('apogee_refresh='))!;
    expect(access).toMatch(/HttpOnly/i);
    expect(access).toMatch(/SameSite=Strict/i);
    expect(refresh).toMatch(/Path=\/v1\/auth/);
    const me = await fetch(`${t.baseURL}/v1/users/me`, {
      headers: { cookie: access.split(';')[0]! },
    });
    expect(me.status).toBe(200);
    const refreshed = await fetch(`${t.baseURL}/v1/auth/refresh`, {
      method: 'POST',
      headers: { cookie: refresh.split(';')[0]!, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.getSetCookie().some((c) => c.startsWith('apogee_refresh='))).toBe(
      true,
    );
  });

  it('answers 401 with the error shape when no credentials are sent', async () => {
    const r = await http(t.baseURL).get('/v1/organizations');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      code: 'unauthenticated',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(r.headers.get('x-request-id')).toBe(r.body.requestId);
  });
});
