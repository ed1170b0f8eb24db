/**
 * Real storage servers for tests: Azurite (spawned per test file, in memory, on a free port) and
 * the S3 server of `scripts/ci/s3-server.sh` (radosgw; endpoint and keys from `APOGEE_S3_*`, or
 * the script's defaults on 127.0.0.1:7480).
 *
 * `APOGEE_REQUIRE_STORAGE=1` turns a missing server into a failure; without it the suites that
 * need one skip and say why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import type { AzureCredentials, AzureSettings } from './azure.driver.js';
import type { S3Credentials, S3Settings } from './s3.driver.js';

export const REQUIRE_STORAGE = process.env.APOGEE_REQUIRE_STORAGE === '1';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface S3Target {
  settings: S3Settings;
  credentials: S3Credentials;
}

export interface AzureTarget {
  settings: AzureSettings;
  credentials: AzureCredentials;
  stop(): Promise<void>;
}

/** Either a ready server or the reason it is not there. */
export type Availability<T> = { ok: true; target: T } | { ok: false; reason: string };

export function s3Env(): {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
} {
  return {
    endpoint: process.env.APOGEE_S3_ENDPOINT || 'http://127.0.0.1:7480',
    accessKeyId: process.env.APOGEE_S3_ACCESS_KEY || 'apogee-test-access',
    secretAccessKey: process.env.APOGEE_S3_SECRET_KEY || 'apogee-test-secret-0123456789abcdef',
    region: process.env.APOGEE_S3_REGION || 'us-east-1',
  };
}

/** Creates a fresh bucket on the S3 test server, or says why it cannot. */
export async function s3TestBucket(): Promise<Availability<S3Target>> {
  const env = s3Env();
  const bucket = `apogee-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const client = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const err = e as Error & { code?: string };
    return {
      ok: false,
      reason: `S3 test server at ${env.endpoint} is not usable (${err.code ?? err.name}: ${err.message}); start it with scripts/ci/s3-server.sh start`,
    };
  } finally {
    client.destroy();
  }
  return {
    ok: true,
    target: {
      settings: {
        endpoint: env.endpoint,
        region: env.region,
        bucket,
        pathStyle: true,
        verifyTls: true,
      },
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    },
  };
}

/** Spawns Azurite's blob service on a free 127.0.0.1 port, in memory, and creates a container. */
export async function startAzurite(): Promise<Availability<AzureTarget>> {
  let bin: string;
  try {
    bin = path.join(
      path.dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
      'dist/src/blob/main.js',
    );
  } catch {
    return { ok: false, reason: 'the azurite package is not installed (npm install)' };
  }
  const child = spawn(
    process.execPath,
    [
      bin,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let port: number;
  try {
    port = await listeningPort(child, 20_000);
  } catch (e) {
    child.kill();
    return { ok: false, reason: `Azurite did not start: ${(e as Error).message}` };
  }
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const container = `apogee-test-${randomBytes(4).toString('hex')}`;
  const target: AzureTarget = {
    settings: { accountUrl, container },
    credentials: { accountKey: AZURITE_KEY },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill();
      await exited;
    },
  };
  const conn = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`;
  await BlobServiceClient.fromConnectionString(conn).getContainerClient(container).create();
  return { ok: true, target };
}

function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no "listens on" line in ${timeoutMs} ms: ${out.slice(-500)}`)),
      timeoutMs,
    );
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a full pipe never blocks the emulator.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${out.slice(-500)}`));
    });
  });
}
