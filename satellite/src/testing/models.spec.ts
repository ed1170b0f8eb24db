import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeGguf,
  encodeTinyOnnx,
  GgufType,
  tinyLinearReference,
  tinyLlamaVocabulary,
  writeTinyGguf,
} from './models.js';

describe('writeTinyGguf', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-gguf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a GGUF v3 header with the tensor and metadata counts', async () => {
    const file = path.join(dir, 'tiny.gguf');
    await writeTinyGguf(file);
    const buf = await readFile(file);
    expect(buf.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(buf.readUInt32LE(4)).toBe(3);
    expect(buf.readBigUInt64LE(8)).toBe(21n); // 3 global + 9 per block × 2 blocks
    expect(buf.readBigUInt64LE(16)).toBe(23n);
    // First key: general.architecture = "llama".
    expect(buf.readBigUInt64LE(24)).toBe(BigInt('general.architecture'.length));
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = path.join(dir, 'a.gguf');
    const b = path.join(dir, 'b.gguf');
    const c = path.join(dir, 'c.gguf');
    await writeTinyGguf(a, { seed: 1 });
    await writeTinyGguf(b, { seed: 1 });
    await writeTinyGguf(c, { seed: 2 });
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
    expect((await readFile(a)).equals(await readFile(c))).toBe(false);
  });

  it('has a vocabulary without duplicate tokens, with byte fallback tokens', () => {
    const { tokens, scores, types } = tinyLlamaVocabulary();
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(scores).toHaveLength(tokens.length);
    expect(types).toHaveLength(tokens.length);
    expect(tokens).toContain('<0x0A>');
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
  });

  it('aligns tensor data to 32 bytes', () => {
    const data = new Float32Array([1, 2, 3]);
    const buf = encodeGguf(
      new Map([['general.architecture', { type: GgufType.STRING, value: 'x' }]]),
      [
        { name: 'a', dims: [3], data },
        { name: 'b', dims: [3], data },
      ],
    );
    // The last 12 bytes are tensor b's data, which starts on a 32-byte boundary.
    const bStart = buf.length - 12;
    expect(bStart % 32).toBe(0);
    expect(buf.readFloatLE(bStart + 8)).toBe(3);
  });

  it('rejects a tensor whose data does not match its dims', () => {
    expect(() =>
      encodeGguf(new Map(), [{ name: 'a', dims: [2, 2], data: new Float32Array(3) }]),
    ).toThrow(/need 4 values/);
  });
});

describe('encodeTinyOnnx', () => {
  it('encodes a linear graph with named, typed inputs and outputs', () => {
    const model = onnxProto.onnx.ModelProto.decode(encodeTinyOnnx('linear'));
    expect(model.graph?.input?.map((i) => i.name)).toEqual(['x']);
    expect(model.graph?.output?.map((o) => o.name)).toEqual(['y']);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
  });

  it('encodes a multi-input graph with int64 and float inputs', () => {
    const model = onnxProto.onnx.ModelProto.decode(encodeTinyOnnx('multi-io'));
    const types = model.graph?.input?.map((i) => i.type?.tensorType?.elemType);
    expect(types).toEqual([
      onnxProto.onnx.TensorProto.DataType.INT64,
      onnxProto.onnx.TensorProto.DataType.FLOAT,
    ]);
  });

  it('computes the reference output of the linear graph', () => {
    expect(tinyLinearReference([[1, 0, 0, 0]])).toEqual([[0.6, -1.2].map(Math.fround)]);
  });
});
