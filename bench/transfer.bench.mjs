// `npm run bench -- transfer [--size-mb 1024] [--targets s3,azure] [--concurrency 4]`
//
// Uploads and downloads one file through the SDK (`client.artifacts.upload/download`: sha256,
// parallel parts, server-side verification) against an API whose orbits live on real S3
// (radosgw, scripts/ci/s3-server.sh) and Azure (Azurite, scripts/ci/azurite.sh) stores, then moves
// the same bytes with the plain vendor SDKs (@aws-sdk/lib-storage Upload, @azure/storage-blob
// uploadFile/downloadToFile) to the same server, and prints MB/s, the SDK/plain ratio, and the
// bytes that crossed the API's own HTTP sockets (should be ~0: bytes go straight to the store).
// Target `local` is there for contrast: there the API itself serves the signed URLs.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { printTable } from './lib.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const backendRequire = createRequire(path.join(root, 'backend/package.json'));
const load = (spec) => import(backendRequire.resolve(spec));

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc),
      [],
    ),
);
const sizeMb = Number(args['size-mb'] ?? 1024);
const targets = (args.targets ?? 's3,azure').split(',');
const concurrency = Number(args.concurrency ?? 4);
const partSize = 16 * 1024 * 1024;
const MB = 1e6;

function script(name, cmd) {
  const r = spawnSync('bash', [path.join(root, 'scripts/ci', name), cmd], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`scripts/ci/${name} ${cmd} failed`);
  const lines = r.stdout.split('\n').filter((l) => l.includes('='));
  return Object.fromEntries(
    lines.map((l) => l.split(/=(.*)/s)).map(([k, v]) => [k, v.replace(/^'|'$/g, '')]),
  );
}

async function makeFile(file, bytes) {
  const out = createWriteStream(file);
  const chunk = 64 * 1024 * 1024;
  for (let left = bytes; left > 0; left -= chunk) {
    if (!out.write(randomBytes(Math.min(chunk, left))))
      await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

/** Seconds spent in each SDK progress phase (hashing, uploading, verifying). */
function phaseClock() {
  const spent = {};
  let current = null;
  let since = 0;
  const switchTo = (phase) => {
    const now = performance.now();
    if (current) spent[current] = (spent[current] ?? 0) + (now - since) / 1000;
    current = phase;
    since = now;
  };
  return {
    report: (p) => p.phase !== current && switchTo(p.phase),
    done: () => (switchTo(null), spent),
  };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const servers = {};
  const startedHere = [];
  if (targets.includes('s3')) {
    const wasUp =
      spawnSync('bash', [path.join(root, 'scripts/ci/s3-server.sh'), 'env'], { stdio: 'ignore' })
        .status === 0;
    servers.s3 = script('s3-server.sh', 'start');
    if (!wasUp) startedHere.push('s3-server.sh');
  }
  if (targets.includes('azure')) {
    const wasUp =
      spawnSync('bash', [path.join(root, 'scripts/ci/azurite.sh'), 'env'], { stdio: 'ignore' })
        .status === 0;
    servers.azure = script('azurite.sh', 'start');
    if (!wasUp) startedHere.push('azurite.sh');
  }

  try {
    await run(servers);
  } finally {
    for (const s of startedHere) script(s, 'stop');
  }
}

async function run(servers) {
  const { loadConfig } = await load('./dist/config/config.js');
  const { createApp } = await load('./dist/app.factory.js');
  const { createLogger } = await load('./dist/common/observability.js');
  const { S3Client, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand } =
    await load('@aws-sdk/client-s3');
  const { Upload } = await load('@aws-sdk/lib-storage');
  const { BlobServiceClient } = await load('@azure/storage-blob');
  const { Apogee } = await import(path.join(root, 'sdk/dist/esm/index.js'));

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'apogee-bench-transfer-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    APOGEE_DATA_DIR: path.join(work, 'data'),
    APOGEE_SECRET_KEY: randomBytes(32).toString('hex'),
    APOGEE_PART_SIZE: String(partSize),
    LOG_LEVEL: 'warn',
  });
  const { app } = await createApp(config, { logger: createLogger('warn') });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const baseURL = `http://127.0.0.1:${server.address().port}`;
  config.publicUrl = baseURL;
  let closed = 0;
  const live = new Set();
  server.on('connection', (s) => {
    live.add(s);
    s.once('close', () => {
      live.delete(s);
      closed += s.bytesRead + s.bytesWritten;
    });
  });
  const apiBytes = () => closed + [...live].reduce((n, s) => n + s.bytesRead + s.bytesWritten, 0);

  const file = path.join(work, 'model.bin');
  const bytes = sizeMb * 1024 * 1024;
  process.stderr.write(`writing ${sizeMb} MiB of random bytes…\n`);
  await makeFile(file, bytes);

  const anon = new Apogee({ baseURL, apiKey: null, maxRetries: 0 });
  const session = await anon.auth.signup({
    email: 'bench@apogee.test',
    password: 'bench-password-1',
    fullName: 'bench',
  });
  const client = anon.withOptions({ apiKey: session.accessToken });
  const org = (await client.get('/v1/organizations'))[0].id;
  const local = (await client.get(`/v1/organizations/${org}/storage-backends`))[0];

  const rows = [];
  const bucket = `apogee-bench-${Date.now().toString(36)}`;
  for (const target of targets) {
    let backendId = local.id;
    let plain = null;
    if (target === 's3') {
      const s = servers.s3;
      const s3 = new S3Client({
        endpoint: s.APOGEE_S3_ENDPOINT,
        region: s.APOGEE_S3_REGION,
        forcePathStyle: true,
        credentials: {
          accessKeyId: s.APOGEE_S3_ACCESS_KEY,
          secretAccessKey: s.APOGEE_S3_SECRET_KEY,
        },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const b = await client.post(`/v1/organizations/${org}/storage-backends`, {
        name: 'bench-s3',
        kind: 's3',
        s3: {
          endpoint: s.APOGEE_S3_ENDPOINT,
          region: s.APOGEE_S3_REGION,
          bucket,
          accessKeyId: s.APOGEE_S3_ACCESS_KEY,
          secretAccessKey: s.APOGEE_S3_SECRET_KEY,
        },
      });
      backendId = b.id;
      plain = {
        label: '@aws-sdk/lib-storage Upload / GetObject',
        up: () =>
          new Upload({
            client: s3,
            params: { Bucket: bucket, Key: 'plain.bin', Body: createReadStream(file) },
            partSize,
            queueSize: concurrency,
          }).done(),
        down: async () =>
          pipeline(
            (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'plain.bin' }))).Body,
            createWriteStream(path.join(work, 'plain.out')),
          ),
        cleanup: () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'plain.bin' })),
      };
    } else if (target === 'azure') {
      const a = servers.azure;
      const container = BlobServiceClient.fromConnectionString(
        a.APOGEE_AZURE_CONNECTION_STRING,
      ).getContainerClient(bucket);
      await container.createIfNotExists();
      const b = await client.post(`/v1/organizations/${org}/storage-backends`, {
        name: 'bench-azure',
        kind: 'azure',
        azure: {
          container: bucket,
          accountUrl: a.APOGEE_AZURE_ACCOUNT_URL,
          accountKey: a.APOGEE_AZURE_ACCOUNT_KEY,
        },
      });
      backendId = b.id;
      const blob = container.getBlockBlobClient('plain.bin');
      plain = {
        label: '@azure/storage-blob uploadFile / downloadToFile',
        up: () => blob.uploadFile(file, { blockSize: partSize, concurrency }),
        down: () =>
          blob.downloadToFile(path.join(work, 'plain.out'), 0, undefined, { concurrency }),
        cleanup: () => blob.deleteIfExists(),
      };
    }
    const orbit = await client.orbits.create(org, {
      name: `bench-${target}`,
      storageBackendId: backendId,
    });
    const col = await client.collections.create(org, orbit.id, { name: 'models', type: 'model' });

    const phases = phaseClock();
    const a0 = apiBytes();
    let artifact;
    const sdkUp = await timed(async () => {
      artifact = await client.artifacts.upload(org, orbit.id, col.id, file, {
        concurrency,
        resume: false,
        resumeDir: path.join(work, 'resume'),
        onProgress: phases.report,
      });
    });
    const a1 = apiBytes();
    const spent = phases.done();
    const dest = path.join(work, 'sdk.out');
    const sdkDown = await timed(() =>
      client.artifacts.download(org, orbit.id, artifact.id, dest, {
        concurrency,
        chunkSize: partSize,
      }),
    );
    const a2 = apiBytes();
    await fs.rm(dest, { force: true });
    const row = {
      target,
      'sdk up MB/s': bytes / MB / sdkUp,
      'sdk down MB/s': bytes / MB / sdkDown,
      'hash s': spent.hashing ?? 0,
      'parts s': spent.uploading ?? 0,
      'verify s': spent.verifying ?? 0,
      'api bytes up': a1 - a0,
      'api bytes down': a2 - a1,
    };
    Object.assign(row, {
      'plain up MB/s': '-',
      'plain down MB/s': '-',
      'up ratio sdk/plain': '-',
      'down ratio sdk/plain': '-',
    });
    if (plain) {
      const up = await timed(plain.up);
      const down = await timed(plain.down);
      await fs.rm(path.join(work, 'plain.out'), { force: true });
      await plain.cleanup();
      Object.assign(row, {
        'plain up MB/s': bytes / MB / up,
        'plain down MB/s': bytes / MB / down,
        'up ratio sdk/plain': up / sdkUp,
        'down ratio sdk/plain': down / sdkDown,
      });
    }
    await client.artifacts.delete?.(org, orbit.id, artifact.id).catch(() => undefined);
    rows.push(row);
  }

  await app.close();
  await fs.rm(work, { recursive: true, force: true });

  console.log(
    `\ntransfer of ${sizeMb} MiB, ${concurrency} parallel parts of ${partSize / 1024 / 1024} MiB (MB = 10^6 bytes)`,
  );
  console.log(
    'sdk up = sha256 of the file (hash s) + create + parallel part PUTs (parts s) + complete, where the API re-reads the object from the store to verify size and sha256 (verify s)',
  );
  printTable(
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v,
        ]),
      ),
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
