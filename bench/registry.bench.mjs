#!/usr/bin/env node
// Orbit-wide artifact list at scale: 100,000 artifacts with metrics and tags in one orbit, one page
// of 50 filtered by a tag and sorted by metrics.accuracy desc, over HTTP with an API key, against
// the same SQL run directly through `pg`. Imports the BUILT backend (backend/dist).
//
//   npm run bench -- registry [--n 100000] [--requests 300]
//   APOGEE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres): a fresh database is created in it.
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
const N = Number(args.n ?? 100_000);
const REQUESTS = Number(args.requests ?? 300);
const TAG = 'team-3';
const { baseURL, dbUrl, call, close } = await startBenchApi({});

const db = new pg.Client({ connectionString: dbUrl });
try {
  const signup = await fetch(`${baseURL}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@apogee.test', password: 'bench-password-1' }),
  }).then((r) => r.json());
  const jwt = signup.accessToken;
  const [org] = await call('GET', '/v1/organizations', jwt);
  const [orbit] = await call('GET', `/v1/organizations/${org.id}/orbits`, jwt);
  const col = await call(
    'POST',
    `/v1/organizations/${org.id}/orbits/${orbit.id}/collections`,
    jwt,
    { name: 'bench', type: 'model' },
  );
  const key = (await call('POST', '/v1/users/me/api-keys', jwt, { name: 'bench' })).key;

  await db.connect();
  let t0 = Date.now();
  await db.query(
    `INSERT INTO artifacts (organization_id, orbit_id, collection_id, storage_backend_id, name, description, type, format, file_name,
                            size, sha256, storage_key, status, metrics, tags, created_at, updated_at)
     SELECT $1, $2, $3, $4, 'model-' || i, 'seeded', 'model', 'onnx', 'model-' || i || '.onnx',
            1000 + i, repeat('a', 64), 'seed/' || i, 'uploaded',
            jsonb_build_object('accuracy', round(random()::numeric, 4), 'loss', round((random() * 2)::numeric, 4), 'f1', round(random()::numeric, 4)),
            ARRAY['team-' || (i % 10), 'stage-' || (i % 4)] || CASE WHEN i % 100 = 0 THEN ARRAY['rare'] ELSE ARRAY[]::text[] END,
            now() - make_interval(secs => i), now() - make_interval(secs => i)
       FROM generate_series(1, $5::int) i`,
    [org.id, orbit.id, col.id, orbit.storageBackendId, N],
  );
  // What autovacuum does on a live system: statistics and the visibility map (index-only scans).
  await db.query('VACUUM ANALYZE artifacts');
  await db.query('VACUUM ANALYZE artifact_metrics');
  console.log(
    `seeded ${N} artifacts (metrics accuracy/loss/f1, tags team-0..9, stage-0..3, rare) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const listPath = `/v1/organizations/${org.id}/orbits/${orbit.id}/artifacts?tag=${TAG}&sort=metrics.accuracy&order=desc&limit=50`;
  const first = await call('GET', listPath, key);
  if (first.items.length !== 50 || !first.nextCursor) throw new Error('unexpected first page');
  const accs = first.items.map((a) => a.metrics.accuracy);
  if (accs.some((v, i) => i && v > accs[i - 1]) || first.items.some((a) => !a.tags.includes(TAG)))
    throw new Error('page is not sorted/filtered');

  // The SQL the service runs for this page (ArtifactsService.list, metric phase).
  const COLUMNS = `a.id, a.organization_id, a.orbit_id, a.collection_id, a.storage_backend_id, a.name, a.description, a.type, a.format,
    a.file_name, a.content_type, a.size, a.sha256, a.storage_key, a.upload_id, a.upload_part_size, a.status, a.status_reason,
    a.manifest, a.metrics, a.tags, a.created_by, a.uploaded_at, a.created_at, a.updated_at`;
  const rawSql = `SELECT ${COLUMNS}, m.value AS sort_value FROM artifact_metrics m JOIN artifacts a ON a.id = m.artifact_id
     WHERE a.orbit_id = $1 AND a.tags @> $2::text[] AND m.orbit_id = $1 AND m.key = $3
     ORDER BY m.value DESC, m.artifact_id DESC LIMIT 51`;
  const rawParams = [orbit.id, [TAG], 'accuracy'];
  const plan = (
    await db.query(`EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) ${rawSql}`, rawParams)
  ).rows.map((r) => r['QUERY PLAN']);

  // Naive alternative for comparison: sort by the JSONB expression directly.
  const naiveSql = `SELECT ${COLUMNS} FROM artifacts a WHERE a.orbit_id = $1 AND a.tags @> $2::text[]
     ORDER BY (a.metrics->>'accuracy')::numeric DESC NULLS LAST, a.id DESC LIMIT 51`;

  for (let i = 0; i < 20; i++) await call('GET', listPath, key);
  const http = await timeIt(REQUESTS, () => call('GET', listPath, key));
  const raw = await timeIt(REQUESTS, () => db.query(rawSql, rawParams));
  const naive = await timeIt(Math.min(REQUESTS, 100), () => db.query(naiveSql, [orbit.id, [TAG]]));
  const page2Path = `${listPath}&cursor=${first.nextCursor}`;
  const http2 = await timeIt(REQUESTS, () => call('GET', page2Path, key));
  const rare = `/v1/organizations/${org.id}/orbits/${orbit.id}/artifacts?tag=rare&sort=metrics.accuracy&order=desc&limit=50`;
  const httpRare = await timeIt(REQUESTS, () => call('GET', rare, key));

  const rows = [
    summarize(`HTTP list (tag ${TAG}, sort metrics.accuracy desc, 50)`, http),
    summarize('HTTP same query, page 2 (cursor)', http2),
    summarize('HTTP tag "rare" (1%), sort metrics.accuracy', httpRare),
    summarize('raw SQL via pg (same query)', raw),
    summarize('raw SQL, naive ORDER BY (metrics->>key)::numeric', naive),
  ];
  printTable(
    rows.map((r) => ({
      ...r,
      p50: Number(r.p50.toFixed(2)),
      p95: Number(r.p95.toFixed(2)),
      mean: Number(r.mean.toFixed(2)),
    })),
  );
  const ratio = rows[0].p50 / rows[3].p50;
  console.log(
    `\nHTTP p50 ${rows[0].p50.toFixed(2)} ms vs raw SQL p50 ${rows[3].p50.toFixed(2)} ms: ratio ${ratio.toFixed(2)}x (aim: p50 < 20 ms, within 2x of raw)`,
  );
  console.log('\nplan of the raw query:\n  ' + plan.join('\n  '));
} finally {
  await db.end().catch(() => {});
  await close();
}
