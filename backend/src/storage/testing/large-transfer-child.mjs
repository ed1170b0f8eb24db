// Child process of large-transfer.e2e.spec.ts: one SDK upload or download, run from the BUILT SDK
// (`@apogee/sdk` → sdk/dist), so the test can SIGKILL it mid-transfer and start it again.
// Args: one JSON object { mode: 'upload' | 'download', baseURL, apiKey, org, orbit, collection?,
// artifact?, file, resumeDir?, concurrency? }. Prints one JSON line per event:
//   {"ev":"progress",...}  every SDK progress report
//   {"ev":"put","part":n}   each part PUT this process starts (observed on node:http)
//   {"ev":"done",...}       the result
import http from 'node:http';
import { Apogee } from '@apogee/sdk';

const a = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

// Observe every PUT this process sends (axios goes through http.request): which part it carries.
const original = http.request;
http.request = function (...args) {
  const req = original.apply(this, args);
  if (req.method === 'PUT') out({ ev: 'put', part: partOf(req.path) });
  return req;
};

/** Part number of a storage PUT: S3 `partNumber=`, Azure block id, local-disk signed grant. */
function partOf(p) {
  const u = new URL(p, 'http://x');
  if (u.searchParams.get('partNumber')) return Number(u.searchParams.get('partNumber'));
  const block = u.searchParams.get('blockid');
  if (block) return Number(Buffer.from(block, 'base64').toString().split(':').pop());
  const m = /\/v1\/storage\/local\/([^./]+)\./.exec(u.pathname);
  if (m) return JSON.parse(Buffer.from(m[1], 'base64url').toString()).n ?? 0;
  return 0;
}

const client = new Apogee({ apiKey: a.apiKey, baseURL: a.baseURL, maxRetries: 2 });
const onProgress = (p) =>
  out({ ev: 'progress', phase: p.phase, loaded: p.loadedBytes, total: p.totalBytes });
if (a.mode === 'upload') {
  const art = await client.artifacts.upload(a.org, a.orbit, a.collection, a.file, {
    resumeDir: a.resumeDir,
    concurrency: a.concurrency ?? 4,
    onProgress,
  });
  out({ ev: 'done', id: art.id, status: art.status, sha256: art.sha256, size: Number(art.size) });
} else {
  const r = await client.artifacts.download(a.org, a.orbit, a.artifact, a.file, {
    concurrency: a.concurrency ?? 4,
    onProgress,
  });
  out({ ev: 'done', ...r });
}
