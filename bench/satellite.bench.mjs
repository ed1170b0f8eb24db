// `npm run bench -- satellite [--tasks 200] [--requests 2000] [--deploys 3]`
//
// Against the built API (PGlite, or PostgreSQL with APOGEE_TEST_DATABASE_URL) and the built
// satellite agent:
//  1. task pickup latency: a satellite long-polls `POST /satellites/v1/tasks/claim`; tasks are
//     queued one by one; latency = queued (committed) → claim answer received. p50/p95.
//  2. deploy-to-healthy of the tiny ONNX model on the process runtime (and Docker when an
//     engine answers and has the model-server image): create → active, with the phase waterfall.
//  3. inference: the same `/predict` directly at the model server, through the satellite's
//     gateway (authorized, cached), and through the API proxy; p50/p95, req/s, the ratio.
// Aims: pickup p95 < 250 ms; proxy overhead < 2 ms p50.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, printTable } from './lib.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const backendRequire = createRequire(path.join(root, 'backend/package.json'));
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc),
      [],
    ),
);
const TASKS = Number(args.tasks ?? 200);
const REQUESTS = Number(args.requests ?? 2000);
const DEPLOYS = Number(args.deploys ?? 3);

const { startTestApp } = await import(path.join(root, 'backend/dist/testing/harness.js'));
const { signupUser } = await import(path.join(root, 'backend/dist/testing/http.js'));
const { TasksService } = await import(path.join(root, 'backend/dist/tasks/tasks.service.js'));
const { getDataSourceToken } = await import(backendRequire.resolve('@nestjs/typeorm'));
const { SatelliteAgent, readAgentConfig } = await import(
  path.join(root, 'satellite/dist/agent/index.js')
);
const { encodeTinyOnnx } = await import(path.join(root, 'satellite/dist/testing/models.js'));

const ms = (a, b) => Number(b - a) / 1e6;
const now = () => process.hrtime.bigint();
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const X = { inputs: { x: [[1, 2, 3, 4]] } };
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'apogee-bench-satellite-'));
const t = await startTestApp();
const u = await signupUser(t.baseURL, 'bench@example.com');
const ob = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
const summary = [];

function row(label, lat, extra = {}) {
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  return {
    what: label,
    n: lat.length,
    p50_ms: percentile(lat, 50),
    p95_ms: percentile(lat, 95),
    mean_ms: mean,
    ...extra,
  };
}

/* ---------- 1. task pickup ---------- */
{
  const sat = await u.client.post(`${ob}/satellites`, { name: 'pickup' });
  const satHttp = (await import(path.join(root, 'backend/dist/testing/http.js'))).http(
    t.baseURL,
    sat.body.key,
  );
  await satHttp.post('/satellites/v1/pair', {
    baseUrl: 'http://127.0.0.1:1',
    version: 'bench',
    capabilities: {
      runtimes: ['process'],
      gpus: [],
      cpus: 2,
      memoryMb: 1024,
      formats: ['onnx'],
      taskTypes: ['load_model'],
      maxConcurrency: 1,
    },
  });
  const tasks = t.app.get(TasksService);
  const db = t.app.get(getDataSourceToken());
  const created = new Map();
  const received = [];
  let stop = false;
  // One claimer, always waiting (as the agent's claim slot is).
  const agent = new http.Agent({ keepAlive: true });
  const claim = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        `${t.baseURL}/satellites/v1/tasks/claim`,
        {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${sat.body.key}`, 'content-type': 'application/json' },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ at: now(), body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ waitMs: 25000, leaseMs: 600000 }));
    });
  const claimer = (async () => {
    while (!stop) {
      const r = await claim();
      if (r.body.task) received.push([r.body.task.id, r.at]);
    }
  })();
  await sleep(300);
  for (let i = 0; i < TASKS; i++) {
    // The clock starts when the enqueueing transaction has committed (the API's own create → commit is not the queue's latency).
    const id = await db.transaction((m) =>
      tasks.enqueue(m, {
        organizationId: u.org.id,
        orbitId: u.orbit.id,
        type: 'load_model',
        payload: { i },
      }),
    );
    created.set(id, now());
    tasks.wake(u.orbit.id);
    while (received.length <= i) await sleep(1);
    await sleep(5);
  }
  stop = true;
  await db.transaction((m) =>
    tasks.enqueue(m, {
      organizationId: u.org.id,
      orbitId: u.orbit.id,
      type: 'load_model',
      payload: { last: true },
    }),
  );
  tasks.wake(u.orbit.id);
  await claimer;
  agent.destroy();
  const latencies = received
    .filter(([id]) => created.has(id))
    .map(([id, at]) => ms(created.get(id), at));
  summary.push(row('task pickup (queued → claimed)', latencies, { aim: 'p95 < 250 ms' }));
}

/* ---------- 2. deploy-to-healthy ---------- */
const col = await u.client.post(`${ob}/collections`, { name: 'bench', type: 'model' });
const bytes = Buffer.from(encodeTinyOnnx('linear'));
const { createHash } = await import('node:crypto');
const art = await u.client.post(`${ob}/collections/${col.body.id}/artifacts`, {
  name: 'linear',
  fileName: 'linear.onnx',
  size: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});
await fetch(art.body.upload.url, { method: 'PUT', body: bytes, headers: art.body.upload.headers });
const done = await u.client.post(`${ob}/artifacts/${art.body.artifact.id}/complete`, {});
if (done.status !== 200) throw new Error(`upload: ${JSON.stringify(done.body)}`);
const artifactId = art.body.artifact.id;

async function runtimeAgent(kind) {
  const sat = await u.client.post(`${ob}/satellites`, { name: `bench-${kind}` });
  const config = readAgentConfig({
    APOGEE_URL: t.baseURL,
    APOGEE_SATELLITE_KEY: sat.body.key,
    APOGEE_SATELLITE_RUNTIME: kind,
    APOGEE_SATELLITE_HOST: '127.0.0.1',
    APOGEE_SATELLITE_PORT: '0',
    APOGEE_SATELLITE_DATA_DIR: path.join(tmp, kind),
    APOGEE_LOG_LEVEL: 'error',
    APOGEE_HEARTBEAT_INTERVAL: '2000',
  });
  const agent = new SatelliteAgent(config);
  await agent.start();
  return { agent, satelliteId: sat.body.id };
}

async function deployOnce(satelliteId, name) {
  const t0 = now();
  const c = await u.client.post(`${ob}/deployments`, {
    artifactId,
    name,
    satelliteId,
    env: { APOGEE_ONNX_THREADS: '1' },
  });
  if (c.status !== 201) throw new Error(`deploy: ${JSON.stringify(c.body)}`);
  for (;;) {
    const d = (await u.client.get(`${ob}/deployments/${c.body.id}`)).body;
    if (d.status === 'active') return { d, total: ms(t0, now()) };
    if (d.status === 'failed') throw new Error(`deploy failed: ${d.statusReason}`);
    await sleep(5);
  }
}

function waterfall(d) {
  const p = Object.fromEntries(Object.entries(d.phases).map(([k, v]) => [k, Date.parse(v)]));
  return {
    claim_ms: p.claimed - p.queued,
    download_ms: p.downloaded - p.claimed,
    start_ms: p.started - p.downloaded,
    healthy_ms: p.healthy - p.started,
  };
}

const runtimes = ['process'];
try {
  execFileSync(
    'docker',
    ['image', 'inspect', process.env.APOGEE_MODEL_SERVER_IMAGE ?? 'apogee/model-server:dev'],
    { stdio: 'ignore' },
  );
  runtimes.push('docker');
} catch {
  console.log(
    '(docker: no engine or no model-server image — build it with satellite/scripts/build-image.sh; skipping the docker runtime)',
  );
}
const deployRows = [];
let serving;
for (const kind of runtimes) {
  const { agent, satelliteId } = await runtimeAgent(kind);
  const totals = [];
  let last;
  for (let i = 0; i < DEPLOYS; i++) {
    const r = await deployOnce(satelliteId, `${kind}-${i}`);
    totals.push(r.total);
    deployRows.push({
      runtime: kind,
      run: i,
      cache: i === 0 ? 'cold' : 'warm',
      total_ms: r.total,
      ...waterfall(r.d),
    });
    last = r.d;
    if (i < DEPLOYS - 1) await u.client.delete(`${ob}/deployments/${r.d.id}?force=true`);
  }
  summary.push(row(`deploy → healthy (${kind}, ONNX)`, totals));
  if (kind === 'process') serving = { agent, deployment: last };
  else {
    await u.client.delete(`${ob}/deployments/${last.id}?force=true`);
    await sleep(500);
    await agent.stop();
  }
}

/* ---------- 3. inference: direct vs gateway vs API proxy ---------- */
const key = (await u.client.post('/v1/users/me/api-keys', { name: 'bench' })).body.key;
const model = (await serving.agent.activeRuntime.list()).find(
  (m) => m.deploymentId === serving.deployment.id,
);
const targets = [
  ['direct (model server)', `${model.url}/predict`],
  ['satellite gateway', `${serving.deployment.inferenceUrl}/predict`],
  ['API proxy', `${t.baseURL}${ob}/deployments/${serving.deployment.id}/predict`],
];
const body = JSON.stringify(X);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
function post(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${url} → ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const inference = {};
for (const [label, url] of targets) {
  for (let i = 0; i < 200; i++) await post(url); // warm-up (JIT, connections, auth cache)
  const lat = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = now();
    await post(url);
    lat.push(ms(t0, now()));
  }
  // Throughput with 8 requests in flight.
  const t0 = now();
  let n = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (n < REQUESTS) {
        n++;
        await post(url);
      }
    }),
  );
  const rps = REQUESTS / (ms(t0, now()) / 1000);
  inference[label] = { lat, rps };
  summary.push(row(`inference: ${label}`, lat, { req_per_s_c8: Math.round(rps) }));
}
keepAlive.destroy();

printTable(summary.map((r) => ({ ...r, aim: r.aim ?? '' })));
console.log('');
printTable(deployRows);
console.log('');
const d = percentile(inference['direct (model server)'].lat, 50);
const p = percentile(inference['API proxy'].lat, 50);
const g = percentile(inference['satellite gateway'].lat, 50);
console.log(
  `API proxy overhead p50: ${(p - d).toFixed(3)} ms (ratio ${(p / d).toFixed(2)}x; gateway alone ${(g - d).toFixed(3)} ms) — aim < 2 ms`,
);
console.log(
  `database: ${process.env.APOGEE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; cpus: ${os.availableParallelism()}; load avg ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

await u.client.delete(`${ob}/deployments/${serving.deployment.id}?force=true`);
await sleep(1000);
await serving.agent.stop();
await t.close();
await fs.rm(tmp, { recursive: true, force: true });
process.exit(0);
