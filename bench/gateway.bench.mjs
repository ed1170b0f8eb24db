// `npm run bench -- gateway [--requests 200] [--max-tokens 1]`
//
// Chat completions of a generated GGUF model (served by the built satellite agent, process
// runtime) directly at the model server vs through the API's OpenAI-compatible gateway
// (`POST /v1/chat/completions` with an API key: scope, model lookup, deployment pick, proxy,
// usage record). p50/p95 latency and req/s at 1, 8 and 32 concurrent clients, and the ratio.
// `--max-tokens` keeps generation short so the gateway's own cost is visible.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, printTable } from './lib.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc),
      [],
    ),
);
const REQUESTS = Number(args.requests ?? 64);
const MAX_TOKENS = Number(args['max-tokens'] ?? 1);
const CONCURRENCY = [1, 8, 32];

const { startTestApp } = await import(path.join(root, 'backend/dist/testing/harness.js'));
const { signupUser } = await import(path.join(root, 'backend/dist/testing/http.js'));
const { SatelliteAgent, readAgentConfig } = await import(
  path.join(root, 'satellite/dist/agent/index.js')
);
const { writeTinyGguf } = await import(path.join(root, 'satellite/dist/testing/models.js'));

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'apogee-bench-gateway-'));
const t = await startTestApp();
const u = await signupUser(t.baseURL, 'bench-gateway@example.com');
const ob = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
const key = (await u.client.post('/v1/users/me/api-keys', { name: 'bench', orbitId: u.orbit.id }))
  .body.key;

// The model: a generated tiny llama, uploaded as an artifact and registered as a model.
await writeTinyGguf(path.join(tmp, 'tiny.gguf'));
const bytes = await fs.readFile(path.join(tmp, 'tiny.gguf'));
const col = await u.client.post(`${ob}/collections`, { name: 'bench', type: 'model' });
const art = await u.client.post(`${ob}/collections/${col.body.id}/artifacts`, {
  name: 'tiny-llama',
  fileName: 'tiny.gguf',
  size: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});
await fetch(art.body.upload.url, { method: 'PUT', body: bytes, headers: art.body.upload.headers });
const done = await u.client.post(`${ob}/artifacts/${art.body.artifact.id}/complete`, {});
if (done.status !== 200) throw new Error(`upload: ${JSON.stringify(done.body)}`);
const created = await u.client.post(`${ob}/models`, {
  id: 'bench/tiny',
  source: 'artifact',
  location: art.body.artifact.id,
});
if (created.status !== 201) throw new Error(`model: ${JSON.stringify(created.body)}`);

// A satellite (process runtime) and the model activated on it.
const sat = await u.client.post(`${ob}/satellites`, { name: 'bench-gateway' });
const agent = new SatelliteAgent(
  readAgentConfig({
    APOGEE_URL: t.baseURL,
    APOGEE_SATELLITE_KEY: sat.body.key,
    APOGEE_SATELLITE_RUNTIME: 'process',
    APOGEE_SATELLITE_HOST: '127.0.0.1',
    APOGEE_SATELLITE_PORT: '0',
    APOGEE_SATELLITE_DATA_DIR: path.join(tmp, 'satellite'),
    APOGEE_LOG_LEVEL: 'error',
    APOGEE_HEARTBEAT_INTERVAL: '2000',
  }),
);
await agent.start();
for (;;) {
  if ((await u.client.get(`${ob}/satellites/${sat.body.id}`)).body.status === 'active') break;
  await sleep(50);
}
const act = await u.client.post(`${ob}/models/bench/tiny:activate`, {});
if (act.status !== 200) throw new Error(`activate: ${JSON.stringify(act.body)}`);
const depId = act.body.deploymentIds[0];
for (;;) {
  const d = (await u.client.get(`${ob}/deployments/${depId}`)).body;
  if (d.status === 'active') break;
  if (d.status === 'failed') throw new Error(`deploy failed: ${d.statusReason}`);
  await sleep(50);
}
const served = (await agent.activeRuntime.list()).find((m) => m.deploymentId === depId);

const body = JSON.stringify({
  model: 'bench/tiny',
  messages: [{ role: 'user', content: 'hello world' }],
  max_tokens: MAX_TOKENS,
  temperature: 0,
});
const pool = new http.Agent({ keepAlive: true, maxSockets: 64 });
function post(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: pool,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(
                new Error(
                  `${url} → ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`,
                ),
              ),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const targets = [
  ['direct (model server)', `${served.url}/v1/chat/completions`],
  ['gateway (API)', `${t.baseURL}/v1/chat/completions`],
];
/** `n` requests with `c` in flight; latencies in ms and the wall time in s. */
async function load(url, c, n) {
  const lat = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        next++;
        const s = process.hrtime.bigint();
        await post(url);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  return { lat, secs: Number(process.hrtime.bigint() - t0) / 1e9 };
}

for (const [, url] of targets) for (let i = 0; i < 20; i++) await post(url); // warm-up: JIT, connections, the satellite's auth cache
// The machine is shared: rounds alternate direct and gateway so both see the same background load.
const ROUNDS = 2;
const rows = [];
const results = {};
for (const c of CONCURRENCY) {
  const acc = Object.fromEntries(targets.map(([label]) => [label, { lat: [], secs: 0 }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, url] of r % 2 ? [...targets].reverse() : targets) {
      const x = await load(url, c, Math.ceil(REQUESTS / ROUNDS));
      acc[label].lat.push(...x.lat);
      acc[label].secs += x.secs;
    }
  }
  for (const [label] of targets) {
    const { lat, secs } = acc[label];
    const row = {
      target: label,
      clients: c,
      n: lat.length,
      p50_ms: percentile(lat, 50),
      p95_ms: percentile(lat, 95),
      req_per_s: lat.length / secs,
    };
    results[`${label}/${c}`] = row;
    rows.push(row);
  }
}
pool.destroy();

printTable(rows);
console.log('');
printTable(
  CONCURRENCY.map((c) => {
    const d = results[`direct (model server)/${c}`];
    const g = results[`gateway (API)/${c}`];
    return {
      clients: c,
      p50_ratio: g.p50_ms / d.p50_ms,
      p95_ratio: g.p95_ms / d.p95_ms,
      rps_ratio: g.req_per_s / d.req_per_s,
      p50_overhead_ms: g.p50_ms - d.p50_ms,
    };
  }),
);
const usage = (await u.client.get(`/v1/organizations/${u.org.id}/model-usage`)).body;
console.log(
  `\nusage recorded: ${usage.reduce((s, r) => s + r.requests, 0)} gateway requests (p50 ${usage[0]?.latencyP50Ms} ms as measured by the API)`,
);
console.log(
  `max_tokens ${MAX_TOKENS}; database: ${process.env.APOGEE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; cpus: ${os.availableParallelism()}; load avg ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

await u.client.post(`${ob}/models/bench/tiny:deactivate`, {});
await sleep(1000);
await agent.stop();
await t.close();
await fs.rm(tmp, { recursive: true, force: true });
process.exit(0);
