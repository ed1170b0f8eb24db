import { afterEach, describe, expect, it } from 'vitest';
import { Apogee } from './client.js';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from './core/errors.js';
import { retryAfterMs, retryDelayMs, shouldRetry } from './core/retry.js';
import { apiError, json, startServer, type TestServer } from './test-utils/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(overrides: ConstructorParameters<typeof Apogee>[0] = {}): Apogee {
  return new Apogee({ apiKey: 'apg_test', baseURL: server!.url, maxRetries: 2, ...overrides });
}

describe('client options', () => {
  it('reads APOGEE_API_KEY and APOGEE_BASE_URL when options are absent', () => {
    const before = { key: process.env.APOGEE_API_KEY, url: process.env.APOGEE_BASE_URL };
    process.env.APOGEE_API_KEY = 'apg_from_env';
    process.env.APOGEE_BASE_URL = 'http://api.example:9000/';
    try {
      const c = new Apogee();
      expect(c.apiKey).toBe('apg_from_env');
      expect(c.baseURL).toBe('http://api.example:9000');
    } finally {
      if (before.key === undefined) delete process.env.APOGEE_API_KEY;
      else process.env.APOGEE_API_KEY = before.key;
      if (before.url === undefined) delete process.env.APOGEE_BASE_URL;
      else process.env.APOGEE_BASE_URL = before.url;
    }
  });

  it('defaults the base URL to http://localhost:8080', () => {
    const before = process.env.APOGEE_BASE_URL;
    delete process.env.APOGEE_BASE_URL;
    try {
      expect(new Apogee({ apiKey: null }).baseURL).toBe('http://localhost:8080');
    } finally {
      if (before !== undefined) process.env.APOGEE_BASE_URL = before;
    }
  });

  it('sends the API key as a bearer token and JSON bodies', async () => {
    server = await startServer((req, res) =>
      json(res, 200, { ok: true, echo: JSON.parse(req.body.toString() || '{}') }),
    );
    const c = client();
    await c.users.update({ fullName: 'Ada' });
    const req = server.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.path).toBe('/v1/users/me');
    expect(req.headers.authorization).toBe('Bearer apg_test');
    expect(JSON.parse(req.body.toString())).toEqual({ fullName: 'Ada' });
  });

  it('sends no Authorization header when apiKey is null', async () => {
    server = await startServer((_req, res) => json(res, 200, { accessToken: 't' }));
    await client({ apiKey: null }).auth.signin({ email: 'a@b.c', password: 'pw' });
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('works with a custom fetch', async () => {
    server = await startServer((_req, res) => json(res, 200, { id: 'u1', email: 'a@b.c' }));
    const seen: string[] = [];
    const c = client({
      fetch: (input, init) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return fetch(input, init);
      },
    });
    expect((await c.users.me()).email).toBe('a@b.c');
    expect(seen).toEqual([`${server.url}/v1/users/me`]);
  });
});

describe('errors', () => {
  const cases: [number, new (...a: never[]) => APIError][] = [
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, InternalServerError],
  ];
  for (const [status, Ctor] of cases) {
    it(`maps ${status} to ${Ctor.name} with code, message and requestId`, async () => {
      server = await startServer((_req, res) =>
        json(res, status, {
          code: `code_${status}`,
          message: `failed ${status}`,
          requestId: 'rid-1',
          details: { n: status },
        }),
      );
      const err = await client({ maxRetries: 0 })
        .organizations.get('o1')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Ctor);
      expect(err).toBeInstanceOf(APIError);
      const e = err as APIError;
      expect(e.status).toBe(status);
      expect(e.code).toBe(`code_${status}`);
      expect(e.rawMessage).toBe(`failed ${status}`);
      expect(e.requestId).toBe('rid-1');
      expect(e.details).toEqual({ n: status });
      expect(e.message).toContain('rid-1');
    });
  }

  it('keeps the text of a non-JSON error body', async () => {
    server = await startServer(
      (_req, res) =>
        void res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    const e = (await client({ maxRetries: 0 })
      .users.me()
      .catch((x: unknown) => x)) as APIError;
    expect(e).toBeInstanceOf(InternalServerError);
    expect(e.code).toBe('internal_error');
    expect(e.rawMessage).toContain('Bad gateway');
  });

  it('throws APIConnectionError when nothing listens', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    const url = server.url;
    await server.close();
    server = undefined;
    const e = await new Apogee({ apiKey: 'k', baseURL: url, maxRetries: 0 }).users
      .me()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIConnectionError);
    expect((e as APIConnectionError).errorCode).toBe('ECONNREFUSED');
  });

  it('throws APITimeoutError when the server is slower than timeout', async () => {
    server = await startServer((_req, res) => void setTimeout(() => json(res, 200, {}), 500));
    const e = await client({ timeout: 50, maxRetries: 0 })
      .users.me()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APITimeoutError);
  });

  it('throws APIUserAbortError when the signal aborts, and does not retry', async () => {
    server = await startServer((_req, res) => void setTimeout(() => json(res, 200, {}), 500));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const e = await client()
      .users.me({ signal: ac.signal })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIUserAbortError);
    expect(server.requests.length).toBeLessThanOrEqual(1);
  });
});

describe('retries', () => {
  /** Answers the scripted statuses in order, then 200. */
  async function scripted(
    script: { status: number; headers?: Record<string, string> }[],
  ): Promise<void> {
    let i = 0;
    server = await startServer((_req, res) => {
      const step = script[i++];
      if (!step) return json(res, 200, { id: 'ok' });
      apiError(res, step.status, 'scripted', `scripted ${step.status}`, step.headers);
    });
  }

  it('retries a GET on 503 and succeeds', async () => {
    await scripted([{ status: 503, headers: { 'retry-after-ms': '10' } }]);
    expect(await client().users.me()).toEqual({ id: 'ok' });
    expect(server!.requests).toHaveLength(2);
  });

  it('gives up after maxRetries', async () => {
    await scripted(
      Array.from({ length: 10 }, () => ({ status: 500, headers: { 'retry-after-ms': '1' } })),
    );
    await expect(client({ maxRetries: 3 }).users.me()).rejects.toBeInstanceOf(InternalServerError);
    expect(server!.requests).toHaveLength(4);
  });

  it('does not retry a POST on 500', async () => {
    await scripted([{ status: 500, headers: { 'retry-after-ms': '1' } }]);
    await expect(client().organizations.create({ name: 'x' })).rejects.toBeInstanceOf(
      InternalServerError,
    );
    expect(server!.requests).toHaveLength(1);
  });

  it('retries a POST on 429, honouring Retry-After', async () => {
    await scripted([{ status: 429, headers: { 'retry-after': '0' } }]);
    expect(await client().organizations.create({ name: 'x' })).toEqual({ id: 'ok' });
    expect(server!.requests).toHaveLength(2);
  });

  it('does not retry 409 without Retry-After', async () => {
    await scripted([{ status: 409 }]);
    await expect(client().orbits.delete('o', 'b')).rejects.toBeInstanceOf(ConflictError);
    expect(server!.requests).toHaveLength(1);
  });

  it('retries 409 when the server sends Retry-After', async () => {
    await scripted([{ status: 409, headers: { 'retry-after': '0' } }]);
    await client().orbits.delete('o', 'b');
    expect(server!.requests).toHaveLength(2);
  });

  it('retries 408 on a GET', async () => {
    await scripted([{ status: 408, headers: { 'retry-after-ms': '1' } }]);
    await client().users.me();
    expect(server!.requests).toHaveLength(2);
  });

  it('does not retry 400, 401, 403, 404', async () => {
    for (const status of [400, 401, 403, 404]) {
      await scripted([{ status }]);
      await expect(client().users.me()).rejects.toBeInstanceOf(APIError);
      expect(server!.requests).toHaveLength(1);
      await server!.close();
    }
    server = undefined;
  });

  it('retries a POST whose connection was refused once the server is up', async () => {
    const probe = await startServer((_req, res) => json(res, 200, {}));
    const port = probe.port;
    await probe.close();
    const c = new Apogee({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}`, maxRetries: 3 });
    const pending = c.organizations.create({ name: 'late' });
    await new Promise((r) => setTimeout(r, 100));
    server = await startServer((_req, res) => json(res, 201, { id: 'created' }), port);
    expect(await pending).toEqual({ id: 'created' });
    expect(server.requests).toHaveLength(1);
  });

  it('computes delays from Retry-After, else exponential backoff with jitter', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after-ms': '150' })).toBe(150);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 7_000)).toBe(3000);
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryDelayMs(1, { 'retry-after': '3' })).toBe(3000);
    expect(retryDelayMs(1, {}, () => 0)).toBe(500);
    expect(retryDelayMs(3, {}, () => 0)).toBe(2000);
    expect(retryDelayMs(3, {}, () => 1)).toBe(1500);
    expect(retryDelayMs(20, {}, () => 0)).toBe(8000);
  });

  it('retries connection errors of POSTs only when refused', () => {
    expect(shouldRetry({ kind: 'connection', errorCode: 'ECONNREFUSED' }, false)).toBe(true);
    expect(shouldRetry({ kind: 'connection', errorCode: 'ECONNRESET' }, false)).toBe(false);
    expect(shouldRetry({ kind: 'connection', errorCode: 'ECONNRESET' }, true)).toBe(true);
    expect(shouldRetry({ kind: 'timeout' }, false)).toBe(false);
    expect(shouldRetry({ kind: 'timeout' }, true)).toBe(true);
  });
});

describe('pagination', () => {
  const all = Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, name: `n${i}` }));
  async function paged(): Promise<void> {
    server = await startServer((req, res) => {
      const start = Number(req.query.get('cursor') ?? 0);
      const limit = Number(req.query.get('limit') ?? 2);
      const items = all.slice(start, start + limit);
      json(res, 200, {
        items,
        nextCursor: start + limit < all.length ? String(start + limit) : null,
      });
    });
  }

  it('iterates every item of every page with for await', async () => {
    await paged();
    const seen: string[] = [];
    for await (const a of client().artifacts.list('org', 'orbit', { limit: 2 }))
      seen.push((a as { id: string }).id);
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(server!.requests.map((r) => r.query.get('cursor'))).toEqual([null, '2', '4']);
  });

  it('answers the first page when awaited, and walks pages on request', async () => {
    await paged();
    const page = await client().organizations.list({ limit: 2 });
    expect(page.items.map((o) => o.id)).toEqual(['a0', 'a1']);
    expect(page.hasNextPage()).toBe(true);
    const next = await page.getNextPage();
    expect(next.items.map((o) => o.id)).toEqual(['a2', 'a3']);
    const pages: number[] = [];
    for await (const p of page.iterPages()) pages.push(p.items.length);
    expect(pages).toEqual([2, 2, 1]);
  });

  it('requests the first page once however it is consumed', async () => {
    await paged();
    const list = client().collections.list('org', 'orbit', { limit: 10 });
    const [a, b] = await Promise.all([list.page(), list]);
    expect(a).toBe(b);
    expect(await list.toArray()).toHaveLength(5);
    expect(server!.requests).toHaveLength(1);
  });

  it('reads a route that answers a plain array as one page', async () => {
    server = await startServer((_req, res) => json(res, 200, all));
    const page = await client().organizations.list();
    expect(page.items).toHaveLength(5);
    expect(page.hasNextPage()).toBe(false);
    expect(await client().orbits.list('o1').toArray()).toHaveLength(5);
  });

  it('sends list filters, repeating tag', async () => {
    await paged();
    await client().artifacts.list('org', 'orbit', {
      collectionId: 'c1',
      tag: ['prod', 'fp16'],
      sort: 'metrics.accuracy',
      order: 'desc',
      status: 'uploaded',
      search: 'bert',
      limit: 2,
    });
    const q = server!.requests[0]!.query;
    expect(q.getAll('tag')).toEqual(['prod', 'fp16']);
    expect(q.get('sort')).toBe('metrics.accuracy');
    expect(q.get('order')).toBe('desc');
    expect(q.get('collectionId')).toBe('c1');
    expect(q.get('status')).toBe('uploaded');
    expect(q.get('search')).toBe('bert');
    expect(q.has('cursor')).toBe(false);
  });
});

describe('resource routes', () => {
  it('sends each method to its route', async () => {
    server = await startServer((_req, res) => json(res, 200, { items: [], nextCursor: null }));
    const c = client();
    const calls: [() => Promise<unknown>, string][] = [
      [() => c.auth.signup({ email: 'e@x.io', password: 'password1' }), 'POST /v1/auth/signup'],
      [() => c.auth.signin({ email: 'e@x.io', password: 'p' }), 'POST /v1/auth/signin'],
      [() => c.auth.refresh('rt'), 'POST /v1/auth/refresh'],
      [() => c.auth.signout('rt'), 'POST /v1/auth/signout'],
      [() => c.users.me(), 'GET /v1/users/me'],
      [
        () => c.users.changePassword({ currentPassword: 'a', newPassword: 'b' }),
        'PUT /v1/users/me/password',
      ],
      [() => c.apiKeys.create({ name: 'k' }), 'POST /v1/users/me/api-keys'],
      [() => c.apiKeys.list().page(), 'GET /v1/users/me/api-keys'],
      [() => c.apiKeys.revoke('k1'), 'DELETE /v1/users/me/api-keys/k1'],
      [() => c.invitations.list().page(), 'GET /v1/users/me/invitations'],
      [() => c.invitations.accept('i1'), 'POST /v1/users/me/invitations/i1/accept'],
      [() => c.invitations.decline('i1'), 'POST /v1/users/me/invitations/i1/decline'],
      [() => c.organizations.list().page(), 'GET /v1/organizations'],
      [() => c.organizations.create({ name: 'o' }), 'POST /v1/organizations'],
      [() => c.organizations.get('o1'), 'GET /v1/organizations/o1'],
      [() => c.organizations.update('o1', { name: 'p' }), 'PATCH /v1/organizations/o1'],
      [() => c.organizations.delete('o1'), 'DELETE /v1/organizations/o1'],
      [() => c.organizations.members.list('o1').page(), 'GET /v1/organizations/o1/members'],
      [
        () => c.organizations.members.update('o1', 'm1', { role: 'admin' }),
        'PATCH /v1/organizations/o1/members/m1',
      ],
      [() => c.organizations.members.remove('o1', 'm1'), 'DELETE /v1/organizations/o1/members/m1'],
      [
        () => c.organizations.invitations.create('o1', { email: 'x@y.z', role: 'member' }),
        'POST /v1/organizations/o1/invitations',
      ],
      [() => c.organizations.invitations.list('o1').page(), 'GET /v1/organizations/o1/invitations'],
      [
        () => c.organizations.invitations.revoke('o1', 'i1'),
        'DELETE /v1/organizations/o1/invitations/i1',
      ],
      [() => c.orbits.list('o1').page(), 'GET /v1/organizations/o1/orbits'],
      [() => c.orbits.create('o1', { name: 'b' }), 'POST /v1/organizations/o1/orbits'],
      [() => c.orbits.get('o1', 'b1'), 'GET /v1/organizations/o1/orbits/b1'],
      [() => c.orbits.update('o1', 'b1', { name: 'c' }), 'PATCH /v1/organizations/o1/orbits/b1'],
      [() => c.orbits.delete('o1', 'b1'), 'DELETE /v1/organizations/o1/orbits/b1'],
      [
        () => c.orbits.members.list('o1', 'b1').page(),
        'GET /v1/organizations/o1/orbits/b1/members',
      ],
      [
        () => c.orbits.members.add('o1', 'b1', { userId: 'u', role: 'member' }),
        'POST /v1/organizations/o1/orbits/b1/members',
      ],
      [
        () => c.orbits.members.update('o1', 'b1', 'm1', { role: 'admin' }),
        'PATCH /v1/organizations/o1/orbits/b1/members/m1',
      ],
      [
        () => c.orbits.members.remove('o1', 'b1', 'm1'),
        'DELETE /v1/organizations/o1/orbits/b1/members/m1',
      ],
      [
        () => c.collections.list('o1', 'b1').page(),
        'GET /v1/organizations/o1/orbits/b1/collections',
      ],
      [
        () => c.collections.create('o1', 'b1', { name: 'c', type: 'model' }),
        'POST /v1/organizations/o1/orbits/b1/collections',
      ],
      [
        () => c.collections.get('o1', 'b1', 'c1'),
        'GET /v1/organizations/o1/orbits/b1/collections/c1',
      ],
      [
        () => c.collections.update('o1', 'b1', 'c1', { name: 'd' }),
        'PATCH /v1/organizations/o1/orbits/b1/collections/c1',
      ],
      [
        () => c.collections.delete('o1', 'b1', 'c1'),
        'DELETE /v1/organizations/o1/orbits/b1/collections/c1',
      ],
      [() => c.artifacts.list('o1', 'b1').page(), 'GET /v1/organizations/o1/orbits/b1/artifacts'],
      [() => c.artifacts.get('o1', 'b1', 'a1'), 'GET /v1/organizations/o1/orbits/b1/artifacts/a1'],
      [
        () => c.artifacts.update('o1', 'b1', 'a1', { tags: ['x'] }),
        'PATCH /v1/organizations/o1/orbits/b1/artifacts/a1',
      ],
      [
        () => c.artifacts.delete('o1', 'b1', 'a1'),
        'DELETE /v1/organizations/o1/orbits/b1/artifacts/a1',
      ],
      [
        () =>
          c.artifacts.create('o1', 'b1', 'c1', {
            name: 'm',
            fileName: 'm.onnx',
            size: 1,
            sha256: 'x',
          }),
        'POST /v1/organizations/o1/orbits/b1/collections/c1/artifacts',
      ],
      [
        () => c.artifacts.presignParts('o1', 'b1', 'a1', [1, 2]),
        'POST /v1/organizations/o1/orbits/b1/artifacts/a1/upload/parts',
      ],
      [
        () => c.artifacts.uploadState('o1', 'b1', 'a1'),
        'GET /v1/organizations/o1/orbits/b1/artifacts/a1/upload',
      ],
      [
        () => c.artifacts.complete('o1', 'b1', 'a1'),
        'POST /v1/organizations/o1/orbits/b1/artifacts/a1/complete',
      ],
      [
        () => c.artifacts.abort('o1', 'b1', 'a1'),
        'POST /v1/organizations/o1/orbits/b1/artifacts/a1/abort',
      ],
      [
        () => c.artifacts.downloadUrl('o1', 'b1', 'a1'),
        'GET /v1/organizations/o1/orbits/b1/artifacts/a1/download-url',
      ],
      [() => c.secrets.list('o1', 'b1').page(), 'GET /v1/organizations/o1/orbits/b1/secrets'],
      [
        () => c.secrets.create('o1', 'b1', { name: 's', value: 'v' }),
        'POST /v1/organizations/o1/orbits/b1/secrets',
      ],
      [() => c.secrets.get('o1', 'b1', 's1'), 'GET /v1/organizations/o1/orbits/b1/secrets/s1'],
      [
        () => c.secrets.update('o1', 'b1', 's1', { value: 'w' }),
        'PATCH /v1/organizations/o1/orbits/b1/secrets/s1',
      ],
      [
        () => c.secrets.delete('o1', 'b1', 's1'),
        'DELETE /v1/organizations/o1/orbits/b1/secrets/s1',
      ],
      [
        () => c.secrets.reveal('o1', 'b1', 's1'),
        'GET /v1/organizations/o1/orbits/b1/secrets/s1/value',
      ],
      [
        () => c.auditEvents.list('o1', { action: 'artifact.' }).page(),
        'GET /v1/organizations/o1/audit-events',
      ],
    ];
    for (const [call] of calls) await call();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      calls.map(([, route]) => route),
    );
  });

  it('encodes path parameters', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    await client().organizations.get('a/b c');
    expect(server.requests[0]!.url).toBe('/v1/organizations/a%2Fb%20c');
  });
});
