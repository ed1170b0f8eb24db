import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentUnhealthy, errnoCode } from '../common/errors.js';
import { ensureSatelliteBuilt, MODEL_SERVER_ENTRY } from '../testing/build.js';
import { tinyLinearReference, writeTinyGguf, writeTinyOnnx } from '../testing/models.js';
import { ProcessRuntime } from './process-runtime.js';
import { waitForHealthy } from './runtime.js';
import { jsonOf } from '../testing/http.js';

/** True while `pid` runs; a zombie (killed, not yet reaped by this test process) counts as gone. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

describe('ProcessRuntime', () => {
  let dir: string;
  let dataDir: string;
  let runtime: ProcessRuntime;
  const onnx = () => path.join(dir, 'linear.onnx');

  beforeAll(async () => {
    await ensureSatelliteBuilt();
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-process-runtime-'));
    dataDir = path.join(dir, 'data');
    await writeTinyOnnx(onnx(), 'linear');
    runtime = new ProcessRuntime({
      dataDir,
      modelServerEntry: MODEL_SERVER_ENTRY,
      stopTimeoutSec: 5,
    });
  }, 120_000);

  afterAll(async () => {
    for (const model of (await runtime?.list()) ?? []) await runtime.stop(model.deploymentId);
    runtime?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a model server that answers predictions, and logs to its log file', async () => {
    const model = await runtime.start({
      deploymentId: 'onnx-1',
      modelPath: onnx(),
      format: 'onnx',
    });
    expect(model).toMatchObject({ runtime: 'process', state: 'running', format: 'onnx' });
    await waitForHealthy(runtime, 'onnx-1', { timeoutMs: 30_000 });
    const res = await fetch(`${model.url}/predict`, {
      method: 'POST',
      body: JSON.stringify({ inputs: { x: [[1, 2, 3, 4]] } }),
    });
    expect((await jsonOf(res)).outputs.y.data).toEqual(tinyLinearReference([[1, 2, 3, 4]]));
    const lines = await runtime.logs('onnx-1', 20);
    expect(lines.some((l) => l.includes('"msg":"model ready"'))).toBe(true);
    expect(lines.some((l) => l.includes('"path":"/predict"'))).toBe(true);
    expect(await runtime.logs('onnx-1', 1)).toHaveLength(1);
  }, 60_000);

  it('finds running models again after a restart and stops them', async () => {
    const before = (await runtime.list()).find((m) => m.deploymentId === 'onnx-1');
    expect(before?.pid).toBeDefined();
    const restarted = new ProcessRuntime({ dataDir, modelServerEntry: MODEL_SERVER_ENTRY });
    const found = await restarted.list();
    expect(found).toEqual([
      expect.objectContaining({
        deploymentId: 'onnx-1',
        pid: before!.pid,
        state: 'running',
        port: before!.port,
      }),
    ]);
    expect((await restarted.health('onnx-1')).healthy).toBe(true);
    expect(await restarted.stop('onnx-1')).toBe(true);
    expect(processExists(before!.pid!)).toBe(false);
    expect(await restarted.list()).toEqual([]);
    expect(await restarted.stop('onnx-1')).toBe(false);
  }, 30_000);

  it('fails waitForHealthy with the log lines when the model cannot load', async () => {
    const broken = path.join(dir, 'broken.onnx');
    await writeFile(broken, 'not an onnx graph');
    await runtime.start({ deploymentId: 'broken', modelPath: broken, format: 'onnx' });
    const error = await waitForHealthy(runtime, 'broken', { timeoutMs: 30_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeploymentUnhealthy);
    expect((error as DeploymentUnhealthy).lastLogLines.join('\n')).toMatch(/model failed to load/);
    await expect(runtime.stop('broken')).resolves.toBe(true);
  }, 60_000);

  it('kills a model server that ignores SIGTERM after the stop timeout', async () => {
    const stubborn = path.join(dir, 'stubborn.mjs');
    await writeFile(
      stubborn,
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM'));\nsetInterval(() => {}, 1000);\n",
    );
    const impatient = new ProcessRuntime({
      dataDir: path.join(dir, 'data-stubborn'),
      modelServerEntry: stubborn,
      stopTimeoutSec: 0.3,
    });
    const model = await impatient.start({
      deploymentId: 'stubborn',
      modelPath: onnx(),
      format: 'onnx',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(processExists(model.pid!)).toBe(true);
    await impatient.stop('stubborn');
    expect(processExists(model.pid!)).toBe(false);
  }, 30_000);

  it('replaces a deployment started again under the same id', async () => {
    const first = await runtime.start({ deploymentId: 'again', modelPath: onnx(), format: 'onnx' });
    const second = await runtime.start({
      deploymentId: 'again',
      modelPath: onnx(),
      format: 'onnx',
    });
    expect(second.pid).not.toBe(first.pid);
    expect(processExists(first.pid!)).toBe(false);
    expect((await runtime.list()).filter((m) => m.deploymentId === 'again')).toHaveLength(1);
    await runtime.stop('again');
  }, 30_000);

  it('serves a GGUF model with the OpenAI API', async () => {
    const gguf = path.join(dir, 'tiny.gguf');
    await writeTinyGguf(gguf);
    const model = await runtime.start({
      deploymentId: 'llm',
      modelPath: gguf,
      format: 'gguf',
      args: ['--threads', '1', '--gpu', 'cpu', '--context-size', '256'],
    });
    await waitForHealthy(runtime, 'llm', { timeoutMs: 60_000 });
    const res = await fetch(`${model.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 3,
        temperature: 0,
      }),
    });
    expect((await jsonOf(res)).usage.completion_tokens).toBe(3);
    await runtime.stop('llm');
  }, 90_000);
});
