import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { database, enqueueTasks, pairedSatellite } from '../satellites/satellite-fixtures.js';
import { TEST_DATABASE_URL, startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser } from '../testing/http.js';
import { TasksService } from './tasks.service.js';

let t: TestApp;
let u: Awaited<ReturnType<typeof signupUser>>;
let org: string;
let orbit: string;

beforeAll(async () => {
  t = await startTestApp();
  u = await signupUser(t.baseURL, 'queue@example.com');
  org = u.org.id;
  orbit = u.orbit.id;
}, 60_000);
afterAll(async () => t?.close());

const task = (extra: Record<string, unknown> = {}) => ({
  organizationId: org,
  orbitId: orbit,
  type: 'load_model' as const,
  payload: { n: 1 },
  ...extra,
});

describe('task queue', () => {
  it('answers a waiting claim the moment a task is queued', async () => {
    const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const started = Date.now();
    const claim = sat.post('/satellites/v1/tasks/claim', { waitMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const queuedAt = Date.now();
    const [id] = await enqueueTasks(t, [task()]);
    const res = await claim;
    const answeredAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.task).toMatchObject({
      id,
      type: 'load_model',
      status: 'claimed',
      attempt: 1,
      payload: { n: 1 },
    });
    // Woken by the queue, not by a timer: well before the wait ran out (and the 2 s re-check).
    expect(answeredAt - queuedAt).toBeLessThan(1_000);
    expect(answeredAt - started).toBeLessThan(5_000);
    await sat.post(`/satellites/v1/tasks/${id}/complete`, { result: { ok: true } });
  });

  it('answers an empty claim with task null after waitMs', async () => {
    const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const res = await sat.post('/satellites/v1/tasks/claim', { waitMs: 200 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ task: null });
  });

  it('never hands one task to two claimers (200 tasks, 4 concurrent claimers)', async () => {
    const claimers = await Promise.all(
      [0, 1, 2, 3].map(() => pairedSatellite(u.client, t.baseURL, org, orbit)),
    );
    const ids = await enqueueTasks(
      t,
      Array.from({ length: 200 }, (_, i) => task({ payload: { i } })),
    );
    const seen: string[] = [];
    await Promise.all(
      claimers.map(async ({ sat }) => {
        for (;;) {
          const r = await sat.post('/satellites/v1/tasks/claim', { waitMs: 0 });
          expect(r.status).toBe(200);
          if (!r.body.task) return;
          seen.push(r.body.task.id);
          const done = await sat.post(`/satellites/v1/tasks/${r.body.task.id}/complete`, {});
          expect(done.status).toBe(200);
        }
      }),
    );
    expect(seen).toHaveLength(200);
    expect(new Set(seen).size).toBe(200);
    expect(new Set(seen)).toEqual(new Set(ids));
    const rows = await database(t).query(
      `SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1) GROUP BY status`,
      [ids],
    );
    expect(rows).toEqual([{ status: 'succeeded', n: 200 }]);
  }, 60_000);

  it('returns a task whose lease expired with attempt + 1, and fails it after max_attempts', async () => {
    const svc = t.app.get(TasksService);
    svc.backoffBaseMs = 100;
    const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const [id] = await enqueueTasks(t, [task({ maxAttempts: 2 })]);
    const first = await sat.post('/satellites/v1/tasks/claim', { waitMs: 5_000, leaseMs: 1_000 });
    expect(first.body.task).toMatchObject({ id, attempt: 1 });
    // The satellite goes silent: the sweeper returns the task after the lease.
    const second = await sat.post('/satellites/v1/tasks/claim', { waitMs: 10_000, leaseMs: 1_000 });
    expect(second.body.task).toMatchObject({ id, attempt: 2, maxAttempts: 2 });
    // A report on the lost first attempt is refused… by the same satellite it is allowed again only as holder.
    await new Promise((r) => setTimeout(r, 3_000));
    const final = await sat.get(`/satellites/v1/tasks/${id}`);
    expect(final.body).toMatchObject({
      status: 'failed',
      attempt: 2,
      error: expect.stringContaining('Lease expired'),
    });
    const late = await sat.post(`/satellites/v1/tasks/${id}/complete`, {});
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('task_lease_lost');
    svc.backoffBaseMs = 1_000;
  }, 30_000);

  it('retries a retryable failure and keeps a final one', async () => {
    const svc = t.app.get(TasksService);
    svc.backoffBaseMs = 50;
    const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const [id] = await enqueueTasks(t, [task({ maxAttempts: 3 })]);
    const a = await sat.post('/satellites/v1/tasks/claim', { waitMs: 5_000 });
    const f1 = await sat.post(`/satellites/v1/tasks/${a.body.task.id}/fail`, {
      error: 'network blip',
    });
    expect(f1.body).toMatchObject({ status: 'pending', attempt: 2, error: 'network blip' });
    const b = await sat.post('/satellites/v1/tasks/claim', { waitMs: 5_000 });
    expect(b.body.task).toMatchObject({ id, attempt: 2 });
    const hb = await sat.post(`/satellites/v1/tasks/${id}/heartbeat`, { progress: 'half way' });
    expect(hb.body).toMatchObject({ status: 'running', progress: 'half way' });
    const f2 = await sat.post(`/satellites/v1/tasks/${id}/fail`, {
      error: 'bad model',
      retryable: false,
    });
    expect(f2.body).toMatchObject({ status: 'failed', attempt: 2, error: 'bad model' });
    svc.backoffBaseMs = 1_000;
  });

  it('lets only the satellite holding a task report on it, and hides other orbits’ tasks', async () => {
    const holder = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const other = await pairedSatellite(u.client, t.baseURL, org, orbit);
    const [id] = await enqueueTasks(t, [task({ satelliteId: holder.id })]);
    // Bound to the holder: another satellite of the orbit does not get it.
    expect(
      (await other.sat.post('/satellites/v1/tasks/claim', { waitMs: 0 })).body.task,
    ).toBeNull();
    expect((await holder.sat.post('/satellites/v1/tasks/claim', { waitMs: 0 })).body.task.id).toBe(
      id,
    );
    for (const p of ['heartbeat', 'complete', 'fail']) {
      const r = await other.sat.post(
        `/satellites/v1/tasks/${id}/${p}`,
        p === 'fail' ? { error: 'x' } : {},
      );
      expect(r.status, p).toBe(409);
    }
    const stranger = await signupUser(t.baseURL, 'stranger-queue@example.com');
    const foreign = await pairedSatellite(
      stranger.client,
      t.baseURL,
      stranger.org.id,
      stranger.orbit.id,
    );
    for (const p of ['heartbeat', 'complete', 'fail']) {
      const r = await foreign.sat.post(
        `/satellites/v1/tasks/${id}/${p}`,
        p === 'fail' ? { error: 'x' } : {},
      );
      expect(r.status, p).toBe(404);
    }
    expect((await foreign.sat.get(`/satellites/v1/tasks/${id}`)).status).toBe(404);
    expect((await holder.sat.post(`/satellites/v1/tasks/${id}/complete`, {})).status).toBe(200);
  });

  it.runIf(TEST_DATABASE_URL)(
    'wakes a claim waiting on one API instance when another queues the task (LISTEN/NOTIFY)',
    async () => {
      const other = await startTestApp(
        {},
        {
          dataDir: t.config.dataDir,
          databaseUrl: t.config.databaseUrl,
          secretKey: t.config.secretKey.toString('hex'),
        },
      );
      try {
        const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
        const claim = sat.post('/satellites/v1/tasks/claim', { waitMs: 20_000 });
        await new Promise((r) => setTimeout(r, 300));
        const queuedAt = Date.now();
        const [id] = await enqueueTasks(other, [task()]);
        const res = await claim;
        expect(res.body.task?.id).toBe(id);
        expect(Date.now() - queuedAt).toBeLessThan(1_000);
      } finally {
        await other.close({ keepData: true });
      }
    },
    30_000,
  );

  it('rejects bad claim input and user tokens on satellite routes', async () => {
    const { sat } = await pairedSatellite(u.client, t.baseURL, org, orbit);
    expect((await sat.post('/satellites/v1/tasks/claim', { waitMs: -1 })).status).toBe(400);
    expect((await sat.post('/satellites/v1/tasks/claim', { waitMs: 30_000 })).status).toBe(400);
    expect((await sat.post('/satellites/v1/tasks/claim', { types: ['nope'] })).status).toBe(400);
    expect((await u.client.post('/satellites/v1/tasks/claim', { waitMs: 0 })).status).toBe(403);
    expect((await sat.get(`/v1/organizations/${org}/orbits/${orbit}`)).status).toBe(403);
  });
});
