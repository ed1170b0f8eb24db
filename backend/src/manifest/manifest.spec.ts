import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './format-detect.js';
import { readGgufManifest } from './gguf-reader.js';
import { readOnnxManifest } from './onnx-reader.js';
import { RangeReader } from './range-reader.js';
import { tinyGguf, tinyOnnx, u64 } from './tiny-models.testing.js';

/** A ranged source over a buffer that records which bytes were read. */
function source(buf: Buffer) {
  const reads: [number, number][] = [];
  const open = async (start: number, end: number) => {
    reads.push([start, end]);
    return Readable.from([buf.subarray(start, end + 1)]);
  };
  return { reads, reader: (block?: number) => new RangeReader(open, buf.length, block) };
}

describe('ONNX manifest', () => {
  it('reads opset, producer, inputs and outputs with symbolic dims without fetching the weights', async () => {
    const file = tinyOnnx(8 * 1024 * 1024);
    const s = source(file);
    const r = s.reader(64 * 1024);
    const m = await readOnnxManifest(r);
    expect(m).toMatchObject({
      irVersion: 8,
      producerName: 'apogee-test',
      producerVersion: '1.2',
      graphName: 'tiny',
      opset: 17,
      metadata: { license: 'mit' },
    });
    expect(m.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    expect(m.inputs).toEqual([
      { name: 'input_ids', elemType: 'int64', shape: ['batch', 128] },
      { name: 'mask', elemType: 'bool', shape: ['batch', 'seq'] },
    ]);
    expect(m.outputs).toEqual([{ name: 'logits', elemType: 'float32', shape: ['batch', 2] }]);
    expect(r.fetched).toBeLessThan(256 * 1024);
  });

  it('refuses a file that is not an ONNX model', async () => {
    await expect(
      readOnnxManifest(source(Buffer.from('hello world, not protobuf at all')).reader()),
    ).rejects.toThrow();
  });
});

describe('GGUF manifest', () => {
  it('reads architecture, name, quantization, context length and parameter count from the header only', async () => {
    const file = tinyGguf(16 * 1024 * 1024);
    const s = source(file);
    const r = s.reader(64 * 1024);
    const m = await readGgufManifest(r);
    expect(m).toMatchObject({
      ggufVersion: 3,
      architecture: 'llama',
      name: 'tiny-llama',
      quantization: 'Q4_K_M',
      fileType: 15,
      contextLength: 4096,
      tensorCount: 2,
      parameterCount: 192,
    });
    expect(m.metadata['tokenizer.ggml.tokens']).toEqual({
      type: 'array',
      itemType: 'string',
      length: 3,
    });
    expect(r.fetched).toBeLessThan(128 * 1024);
  });

  it('refuses a file without the GGUF magic', async () => {
    await expect(readGgufManifest(source(Buffer.alloc(64)).reader())).rejects.toThrow(
      'Not a GGUF file',
    );
  });
});

describe('format detection', () => {
  it('recognises headers over names, and names where headers say nothing', () => {
    expect(detectFormat('model.bin', tinyGguf(0))).toBe('gguf');
    expect(detectFormat('model.onnx', tinyOnnx(10))).toBe('onnx');
    const st = Buffer.concat([u64(2), Buffer.from('{}')]);
    expect(detectFormat('weights', st)).toBe('safetensors');
    expect(detectFormat('weights.gguf', Buffer.from('nope'))).toBe('other');
    const tarHeader = (name: string) => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write('00000000000', 124);
      h.write('ustar', 257);
      return h;
    };
    expect(
      detectFormat(
        'model.tar',
        Buffer.concat([tarHeader('config.json'), tarHeader('model.safetensors')]),
      ),
    ).toBe('hf-dir');
    expect(detectFormat('pkg.tar', Buffer.concat([tarHeader('meta.json')]))).toBe('luml');
    expect(detectFormat('model.luml', tarHeader('x'))).toBe('luml');
  });
});
