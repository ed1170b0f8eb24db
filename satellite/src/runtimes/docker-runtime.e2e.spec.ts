import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuntimeConfig } from '../config/runtime.config.js';
import { ensureSatelliteBuilt, SATELLITE_DIR } from '../testing/build.js';
import { tinyLinearReference, writeTinyGguf, writeTinyOnnx } from '../testing/models.js';
import { DockerRuntime } from './docker-runtime.js';
import { waitForHealthy } from './runtime.js';
import { jsonOf } from '../testing/http.js';

// Runs when a Docker engine answers; with APOGEE_REQUIRE_DOCKER=1 a missing engine fails the
// suite instead of skipping it (CI sets it after scripts/ci/docker.sh).
const required = process.env.APOGEE_REQUIRE_DOCKER === '1';
const { dockerHost } = readRuntimeConfig(process.env);
const engine = await new DockerRuntime({ dockerHost }).ping().then(
  () => true,
  () => false,
);
const IMAGE = 'apogee/model-server:e2e';

describe.runIf(required || engine)('DockerRuntime end to end', () => {
  let dir: string;
  let runtime: DockerRuntime;

  beforeAll(async () => {
    if (!engine)
      throw new Error(
        'APOGEE_REQUIRE_DOCKER=1 but no Docker engine answers (run scripts/ci/docker.sh)',
      );
    await ensureSatelliteBuilt();
    await promisify(execFile)('bash', [path.join(SATELLITE_DIR, 'scripts', 'build-image.sh')], {
      env: { ...process.env, APOGEE_MODEL_SERVER_IMAGE: IMAGE, APOGEE_IMAGE_SKIP_BUILD: '1' },
    });
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-docker-runtime-'));
    runtime = new DockerRuntime({ dockerHost, image: IMAGE, network: 'host', stopTimeoutSec: 5 });
  }, 180_000);

  afterAll(async () => {
    if (runtime) for (const id of ['e2e-onnx', 'e2e-gguf']) await runtime.stop(id);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs an ONNX model in a labelled container, finds it again, and removes it', async () => {
    const modelPath = path.join(dir, 'linear.onnx');
    await writeTinyOnnx(modelPath, 'linear');
    const model = await runtime.start({
      deploymentId: 'e2e-onnx',
      modelPath,
      format: 'onnx',
      resources: { memoryBytes: 512 * 2 ** 20, cpus: 1 },
    });
    expect(model).toMatchObject({ runtime: 'docker', deploymentId: 'e2e-onnx' });
    await waitForHealthy(runtime, 'e2e-onnx', { timeoutMs: 60_000 });

    const x = [
      [1, 2, 3, 4],
      [-0.5, 0.25, 2, 8],
    ];
    const res = await fetch(`${model.url}/predict`, {
      method: 'POST',
      body: JSON.stringify({ inputs: { x } }),
    });
    expect((await jsonOf(res)).outputs.y.data).toEqual(tinyLinearReference(x));
    expect(
      (await runtime.logs('e2e-onnx', 50)).some((l) => l.includes('"msg":"model ready"')),
    ).toBe(true);

    const restarted = new DockerRuntime({ dockerHost, image: IMAGE });
    expect(await restarted.list()).toContainEqual(
      expect.objectContaining({
        deploymentId: 'e2e-onnx',
        state: 'running',
        containerId: model.containerId,
        port: model.port,
      }),
    );
    expect(await restarted.stop('e2e-onnx')).toBe(true);
    expect((await restarted.list()).some((m) => m.deploymentId === 'e2e-onnx')).toBe(false);
  }, 120_000);

  it('runs a GGUF model and answers a chat completion', async () => {
    const modelPath = path.join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath);
    const model = await runtime.start({
      deploymentId: 'e2e-gguf',
      modelPath,
      format: 'gguf',
      modelId: 'tiny',
      args: ['--threads', '1', '--context-size', '256'],
    });
    await waitForHealthy(runtime, 'e2e-gguf', { timeoutMs: 60_000 });
    const res = await fetch(`${model.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 3,
        temperature: 0,
      }),
    });
    const body = await jsonOf(res);
    expect(body).toMatchObject({ model: 'tiny', usage: { completion_tokens: 3 } });
    expect(await runtime.stop('e2e-gguf')).toBe(true);
  }, 120_000);

  it('refuses to start from an image that does not exist', async () => {
    await expect(
      runtime.start({
        deploymentId: 'e2e-missing',
        modelPath: path.join(dir, 'linear.onnx'),
        format: 'onnx',
        image: 'apogee/none:missing',
      }),
    ).rejects.toMatchObject({ code: 'image_not_found' });
  });
});
