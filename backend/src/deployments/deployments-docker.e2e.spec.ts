import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser } from '../testing/http.js';
import {
  SATELLITE_DIR,
  ensureSatelliteBuilt,
  satelliteModels,
  startAgent,
  waitFor,
  type AgentProcess,
  type SatelliteModels,
} from './agent-harness.testing.js';

/**
 * The ONNX model deployed by the agent with the Docker runtime (model-server image built locally
 * by satellite/scripts/build-image.sh). Runs when a Docker engine answers; with
 * APOGEE_REQUIRE_DOCKER=1 a missing engine fails instead (scripts/ci/docker.sh starts one).
 */
const run = promisify(execFile);
const required = process.env.APOGEE_REQUIRE_DOCKER === '1';
const engine = await run('docker', ['version', '--format', '{{.Server.Version}}'], {
  timeout: 10_000,
}).then(
  () => true,
  () => false,
);
if (!engine && !required)
  console.warn(
    'deployments-docker.e2e: skipped — no Docker engine answers (scripts/ci/docker.sh starts one; APOGEE_REQUIRE_DOCKER=1 makes this a failure)',
  );
const IMAGE = 'apogee/model-server:e2e';

async function containersOf(deploymentId: string): Promise<string[]> {
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '-q',
    '--filter',
    `label=apogee.deployment=${deploymentId}`,
  ]);
  return stdout.split('\n').filter(Boolean);
}

/** Builds the image unless one at least as new as satellite/dist exists. */
async function ensureImage(): Promise<void> {
  const stamp =
    fs.statSync(path.join(SATELLITE_DIR, 'dist', '.build-stamp'), { throwIfNoEntry: false })
      ?.mtimeMs ?? Date.now();
  const created = await run('docker', ['image', 'inspect', '--format', '{{.Created}}', IMAGE]).then(
    (r) => Date.parse(r.stdout.trim()),
    () => 0,
  );
  if (created >= stamp) return;
  await run('bash', [path.join(SATELLITE_DIR, 'scripts', 'build-image.sh')], {
    env: { ...process.env, APOGEE_MODEL_SERVER_IMAGE: IMAGE, APOGEE_IMAGE_SKIP_BUILD: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe.runIf(required || engine)('deployments end to end (Docker runtime)', () => {
  let t: TestApp;
  let agent: AgentProcess;
  let models: SatelliteModels;
  let tmp: string;
  let u: Awaited<ReturnType<typeof signupUser>>;

  beforeAll(async () => {
    if (!engine)
      throw new Error(
        'APOGEE_REQUIRE_DOCKER=1 but no Docker engine answers (run scripts/ci/docker.sh)',
      );
    await ensureSatelliteBuilt();
    await ensureImage();
    models = await satelliteModels();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-deploy-docker-'));
    t = await startTestApp();
    u = await signupUser(t.baseURL, 'docker@example.com');
    const s = await u.client.post(`/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/satellites`, {
      name: 'docker',
    });
    agent = startAgent({
      apiUrl: t.baseURL,
      key: s.body.key,
      dataDir: path.join(tmp, 'satellite'),
      env: {
        APOGEE_SATELLITE_RUNTIME: 'docker',
        APOGEE_MODEL_SERVER_IMAGE: IMAGE,
        APOGEE_DOCKER_RESTART: 'no',
      },
    });
    await waitFor(
      async () =>
        (
          await u.client.get(
            `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}/satellites/${s.body.id}`,
          )
        ).body.paired || null,
      30_000,
      'pairing',
    );
  }, 300_000);

  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await t?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys the ONNX model in a labelled container, predicts through the API, and removes it', async () => {
    const base = `/v1/organizations/${u.org.id}/orbits/${u.orbit.id}`;
    const reg = registry(u.client, u.org.id, u.orbit.id);
    const a = await reg.upload(
      (await reg.collection()).id,
      Buffer.from(models.encodeTinyOnnx('linear')),
      { name: 'linear', fileName: 'linear.onnx' },
    );
    const c = await u.client.post(`${base}/deployments`, {
      artifactId: a.id,
      name: 'in-docker',
      resources: { memoryMb: 512, cpus: 1 },
    });
    expect(c.status).toBe(201);
    const d = await waitFor(
      async () => {
        const r = (await u.client.get(`${base}/deployments/${c.body.id}`)).body;
        return r.status === 'active' || r.status === 'failed' ? r : null;
      },
      120_000,
      'the deployment',
    );
    expect(d.status, d.statusReason).toBe('active');
    expect(d.runtime).toBe('docker');
    expect(await containersOf(d.id)).toHaveLength(1);
    const x = [[1, 2, 3, 4]];
    const res = await u.client.post(`${base}/deployments/${d.id}/predict`, { inputs: { x } });
    expect(res.status).toBe(200);
    expect(res.body.outputs.y.data).toEqual(models.tinyLinearReference(x));
    expect((await u.client.delete(`${base}/deployments/${d.id}`)).status).toBe(202);
    await waitFor(
      async () => (await u.client.get(`${base}/deployments/${d.id}`)).status === 404 || null,
      60_000,
      'deletion',
    );
    expect(await containersOf(d.id)).toEqual([]);
  }, 180_000);
});
