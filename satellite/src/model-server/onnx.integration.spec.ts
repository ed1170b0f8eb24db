import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { readModelServerConfig } from '../config/model-server.config.js';
import { tinyLinearReference, writeTinyOnnx } from '../testing/models.js';
import { startModelServer, type ModelServer } from './server.js';
import { jsonOf } from '../testing/http.js';

async function post(
  server: ModelServer,
  route: string,
  body: unknown,
): Promise<{ status: number; json: Awaited<ReturnType<typeof jsonOf>> }> {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await jsonOf(res) };
}

describe('model server (ONNX)', () => {
  let dir: string;
  let linear: ModelServer;
  let multi: ModelServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-onnx-'));
    await writeTinyOnnx(path.join(dir, 'linear.onnx'), 'linear');
    await writeTinyOnnx(path.join(dir, 'multi.onnx'), 'multi-io');
    linear = await startModelServer(
      readModelServerConfig({}, ['--model', path.join(dir, 'linear.onnx'), '--port', '0']),
      silentLogger,
    );
    multi = await startModelServer(
      readModelServerConfig({}, ['--model', path.join(dir, 'multi.onnx'), '--port', '0']),
      silentLogger,
    );
    await Promise.all([linear.ready, multi.ready]);
  });

  afterAll(async () => {
    await linear?.close();
    await multi?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns exactly what the graph computes', async () => {
    const x = [
      [1, 2, 3, 4],
      [0.5, -0.25, 8, -3.75],
      [0, 0, 0, 0],
    ];
    const { status, json } = await post(linear, '/predict', { inputs: { x } });
    expect(status).toBe(200);
    expect(json.outputs.y).toEqual({ type: 'float32', dims: [3, 2], data: tinyLinearReference(x) });
  });

  it('accepts flat data with explicit dims', async () => {
    const { json } = await post(linear, '/predict', {
      inputs: { x: { data: [1, 2, 3, 4, 0, 0, 0, 1], dims: [2, 4] } },
    });
    expect(json.outputs.y.data).toEqual(
      tinyLinearReference([
        [1, 2, 3, 4],
        [0, 0, 0, 1],
      ]),
    );
  });

  it('runs a graph with int64 and float inputs and two outputs', async () => {
    const { status, json } = await post(multi, '/predict', {
      inputs: {
        ids: [
          [1, 2, 3],
          [-4, 5, 6],
        ],
        scale: [0.5],
      },
    });
    expect(status).toBe(200);
    expect(json.outputs).toEqual({
      doubled: {
        type: 'int64',
        dims: [2, 3],
        data: [
          [2, 4, 6],
          [-8, 10, 12],
        ],
      },
      scaled: {
        type: 'float32',
        dims: [2, 3],
        data: [
          [0.5, 1, 1.5],
          [-2, 2.5, 3],
        ],
      },
    });
  });

  it('answers 400 naming the input for a wrong shape, a missing or an unknown input', async () => {
    const wrongShape = await post(linear, '/predict', { inputs: { x: [[1, 2, 3]] } });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json.error).toMatchObject({ code: 'invalid_request', param: 'x' });
    const missing = await post(multi, '/predict', { inputs: { ids: [[1, 2, 3]] } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toMatch(/Missing input scale/);
    const unknown = await post(linear, '/predict', { inputs: { x: [[1, 2, 3, 4]], z: [1] } });
    expect(unknown.json.error.message).toMatch(/Unknown inputs: z/);
  });

  it('answers 400 for a body that is not JSON and 404 for an unknown route', async () => {
    expect((await post(linear, '/predict', '{nope')).status).toBe(400);
    expect((await post(linear, '/v1/chat/completions', {})).status).toBe(404);
  });

  it('describes inputs and outputs in /healthz and the OpenAPI document at /schema', async () => {
    const health = await jsonOf(fetch(`${multi.url}/healthz`));
    expect(health).toMatchObject({ status: 'ok', format: 'onnx' });
    const schema = await jsonOf(fetch(`${multi.url}/schema`));
    expect(schema.openapi).toBe('3.1.0');
    expect(schema.paths['/predict'].post.operationId).toBe('predict');
    const inputs = schema.components.schemas.PredictRequest.properties.inputs;
    expect(inputs.required).toEqual(['ids', 'scale']);
    expect(inputs.properties.ids['x-tensor-type']).toBe('int64');
    expect(inputs.properties.ids['x-tensor-shape']).toEqual(['N', 3]);
    expect(schema['x-apogee-signature'].outputs).toEqual([
      { name: 'doubled', type: 'int64', shape: ['N', 3] },
      { name: 'scaled', type: 'float32', shape: ['N', 3] },
    ]);
  });

  it('reports a model that fails to load as failed in /healthz with 503', async () => {
    const bad = path.join(dir, 'broken.onnx');
    await writeFile(bad, 'not a model');
    const server = await startModelServer(
      readModelServerConfig({}, ['--model', bad, '--port', '0']),
      silentLogger,
    );
    try {
      await expect(server.ready).rejects.toThrow(/Could not load model/);
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await jsonOf(res)).toMatchObject({ status: 'failed' });
      expect((await post(server, '/predict', { inputs: {} })).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});
