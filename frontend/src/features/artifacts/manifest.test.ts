import { describe, expect, it } from 'vitest';
import { readManifest } from './manifest';

describe('readManifest', () => {
  it('reads an ONNX signature into input and output rows', () => {
    const v = readManifest({
      inputs: [{ name: 'x', dtype: 'float32', shape: [null, 3] }],
      outputs: [{ name: 'y', type: 'float32', shape: [-1, 1] }],
      opset: 17,
    });
    expect(v.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: '[?, 3]' }]);
    expect(v.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: '[?, 1]' }]);
    expect(v.header).toEqual([{ key: 'opset', value: '17' }]);
  });

  it('reads GGUF header key/values', () => {
    const v = readManifest({
      metadata: { 'general.architecture': 'llama', 'llama.context_length': 2048 },
      tensorCount: 12,
    });
    expect(v.inputs).toEqual([]);
    expect(v.header).toContainEqual({ key: 'general.architecture', value: 'llama' });
    expect(v.header).toContainEqual({ key: 'llama.context_length', value: '2048' });
    expect(v.header).toContainEqual({ key: 'tensorCount', value: '12' });
  });

  it('accepts a signature nested under `signature` with a map of tensors', () => {
    const v = readManifest({
      signature: { inputs: { a: { type: 'int64', shape: [1] } }, outputs: [] },
    });
    expect(v.inputs).toEqual([{ name: 'a', dtype: 'int64', shape: '[1]' }]);
  });
});

describe('readManifest with the API manifest shapes', () => {
  it('summarises GGUF arrays and keeps ONNX elemType', () => {
    const v = readManifest({
      format: 'gguf',
      metadata: { 'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', length: 32000 } },
    });
    expect(v.header).toContainEqual({
      key: 'tokenizer.ggml.tokens',
      value: 'array of 32000 string',
    });
    const o = readManifest({
      format: 'onnx',
      inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 4] }],
      outputs: [],
    });
    expect(o.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: '[batch, 4]' }]);
  });
});
