import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http } from '../testing/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('health, readiness, metrics, docs', () => {
  it('answers liveness and readiness with the database checked', async () => {
    const c = http(t.baseURL);
    expect((await c.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await c.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
  });

  it('exports request counts and latencies by route pattern and status', async () => {
    const c = http(t.baseURL);
    await c.get('/v1/organizations');
    await c.get('/v1/organizations/00000000-0000-4000-8000-000000000000');
    const m = await c.get('/metrics');
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(m.body).toMatch(
      /apogee_http_requests_total\{method="GET",route="\/v1\/organizations",status="401"\} \d+/,
    );
    expect(m.body).toMatch(
      /apogee_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/organizations\/:org",status="401"\}/,
    );
    expect(m.body).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('serves the OpenAPI document and its UI', async () => {
    const c = http(t.baseURL);
    const doc = await c.get('/api/openapi.json');
    expect(doc.body.info.title).toBe('Apogee API');
    expect(doc.body.paths['/v1/organizations']).toBeDefined();
    const ui = await c.get('/api/docs');
    expect(ui.status).toBe(200);
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const c = http(t.baseURL);
    expect(
      (await c.get('/healthz', { 'x-request-id': 'trace-123' })).headers.get('x-request-id'),
    ).toBe('trace-123');
    expect(
      (await c.get('/healthz', { 'x-request-id': 'bad id\twith tab' })).headers.get('x-request-id'),
    ).not.toContain('bad');
  });
});
