#!/usr/bin/env node
// Registry depth: alias moves over HTTP (rules checked, history written, webhook queued, all in one
// transaction) against the bare SQL of a move (update the alias row + insert a history row) through
// `pg`; and webhook delivery latency (alias moved → signed POST received) against a direct POST to
// the same receiver. Imports the BUILT backend (backend/dist).
//
//   npm run bench -- registry-depth [--moves 200]
//   APOGEE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres): a fresh database is created in it.
import { createServer } from 'node:http';
import pg from 'pg';
import { startBenchApi } from './api.mjs';
import { printTable, summarize, timeIt } from './lib.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc),
      [],
    ),
);
const MOVES = Number(args.moves ?? 200);
const { baseURL, dbUrl, call, close } = await startBenchApi({
  APOGEE_WEBHOOKS_ALLOW_PRIVATE: 'true',
  APOGEE_WEBHOOKS_RETRY_BASE_MS: '100',
});

const db = new pg.Client({ connectionString: dbUrl });
// The webhook receiver: resolves the waiter for each delivery the moment its body has arrived.
let onDelivery = () => {};
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200).end();
    onDelivery();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
const nextDelivery = () => new Promise((r) => (onDelivery = r));
try {
  const signup = await fetch(`${baseURL}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@apogee.test', password: 'bench-password-1' }),
  }).then((r) => r.json());
  const jwt = signup.accessToken;
  const [org] = await call('GET', '/v1/organizations', jwt);
  const [orbit] = await call('GET', `/v1/organizations/${org.id}/orbits`, jwt);
  const ob = `/v1/organizations/${org.id}/orbits/${orbit.id}`;
  const col = await call('POST', `${ob}/collections`, jwt, { name: 'models', type: 'model' });
  const key = (await call('POST', '/v1/users/me/api-keys', jwt, { name: 'bench' })).key;
  await db.connect();
  const arts = await db.query(
    `INSERT INTO artifacts (organization_id, orbit_id, collection_id, storage_backend_id, name, type, format, file_name,
                            size, sha256, storage_key, status, metrics)
     SELECT $1, $2, $3, $4, 'model-' || i, 'model', 'onnx', 'model-' || i || '.onnx', 1000, repeat('a', 64),
            'seed/' || i, 'uploaded', jsonb_build_object('accuracy', 0.9)
       FROM generate_series(1, 2) i RETURNING id`,
    [org.id, orbit.id, col.id, orbit.storageBackendId],
  );
  const track = await call('POST', `${ob}/tracks`, key, { name: 'scorer' });
  for (const a of arts.rows)
    await call('POST', `${ob}/tracks/${track.id}/versions`, key, { artifactId: a.id });
  await call('PUT', `${ob}/tracks/${track.id}/aliases/production`, key, { version: 1 });

  // 1. Alias moves through the API vs the bare SQL of a move.
  const api = await timeIt(MOVES, (i) =>
    call('PUT', `${ob}/tracks/${track.id}/aliases/production`, key, { version: (i % 2) + 1 }),
  );
  const versions = (
    await db.query('SELECT id, version FROM track_versions WHERE track_id = $1 ORDER BY version', [
      track.id,
    ])
  ).rows;
  const raw = await timeIt(MOVES, async (i) => {
    const v = versions[i % 2];
    await db.query('BEGIN');
    await db.query(
      `UPDATE track_aliases SET version_id = $2, moved_at = now() WHERE track_id = $1 AND name = 'production'`,
      [track.id, v.id],
    );
    await db.query(
      `INSERT INTO track_alias_events (organization_id, orbit_id, track_id, alias, from_version, to_version, outcome)
       VALUES ($1, $2, $3, 'production', $4, $5, 'moved')`,
      [org.id, orbit.id, track.id, 3 - v.version, v.version],
    );
    await db.query('COMMIT');
  });

  // 2. Webhook delivery latency (move answered → receiver has the signed body) vs a direct POST.
  await call('POST', `${ob}/webhooks`, key, {
    name: 'bench',
    url: hookUrl,
    events: ['track.alias_moved'],
  });
  const WEBHOOKS = Math.min(50, MOVES);
  const delivery = await timeIt(WEBHOOKS, async (i) => {
    const got = nextDelivery();
    await call('PUT', `${ob}/tracks/${track.id}/aliases/staging`, key, { version: (i % 2) + 1 });
    await got;
  });
  const direct = await timeIt(WEBHOOKS, () =>
    fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then((r) => r.text()),
  );

  const rows = [
    summarize('alias move via API', api),
    summarize('alias move, bare SQL', raw),
    summarize('move + webhook received', delivery),
    summarize('direct POST to receiver', direct),
  ];
  printTable(rows.map((r) => ({ ...r, p50: r.p50, p95: r.p95 })));
  console.log(
    `\nalias move: API p50 ${rows[0].p50.toFixed(2)} ms vs bare SQL ${rows[1].p50.toFixed(2)} ms → ratio ${(rows[0].p50 / rows[1].p50).toFixed(2)}x`,
  );
  console.log(
    `webhook: move→received p50 ${rows[2].p50.toFixed(2)} ms vs direct POST ${rows[3].p50.toFixed(2)} ms → ratio ${(rows[2].p50 / rows[3].p50).toFixed(2)}x`,
  );
} finally {
  receiver.close();
  await db.end().catch(() => {});
  await close();
}
