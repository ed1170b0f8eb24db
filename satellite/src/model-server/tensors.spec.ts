import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../common/errors.js';
import { decodeTensor, encodeTensor } from './tensors.js';

describe('decodeTensor', () => {
  it('infers dims from a nested array', () => {
    const t = decodeTensor(
      'x',
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      'float32',
      ['N', 4],
    );
    expect(t.dims).toEqual([2, 4]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('accepts { data, dims } with flat data', () => {
    const t = decodeTensor('x', { data: [1, 2, 3, 4], dims: [1, 4] }, 'float32', ['N', 4]);
    expect(t.dims).toEqual([1, 4]);
  });

  it('rejects ragged arrays', () => {
    expect(() => decodeTensor('x', [[1, 2], [3]], 'float32', undefined)).toThrow(/ragged/);
  });

  it('rejects a fixed dimension that does not match the graph', () => {
    expect(() => decodeTensor('x', [[1, 2, 3]], 'float32', ['N', 4])).toThrow(
      /dimension 1 must be 4/,
    );
    expect(() => decodeTensor('x', [1, 2, 3, 4], 'float32', ['N', 4])).toThrow(/expected rank 2/);
  });

  it('rejects data that does not fill its dims', () => {
    expect(() =>
      decodeTensor('x', { data: [1, 2, 3], dims: [2, 2] }, 'float32', undefined),
    ).toThrow(/need 4 values/);
  });

  it('checks element types and integer ranges', () => {
    expect(() => decodeTensor('x', ['a'], 'float32', undefined)).toThrow(InvalidRequest);
    expect(() => decodeTensor('x', [1.5], 'int32', undefined)).toThrow(/integer/);
    expect(() => decodeTensor('x', [300], 'uint8', undefined)).toThrow(/\[0, 255\]/);
    expect(() => decodeTensor('x', [1], 'float16', undefined)).toThrow(/cannot be sent as JSON/);
  });

  it('decodes int64 from numbers and decimal strings beyond 2^53', () => {
    const t = decodeTensor('ids', [1, '9007199254740993'], 'int64', undefined);
    expect(Array.from(t.data as BigInt64Array)).toEqual([1n, 9007199254740993n]);
  });

  it('decodes bools and strings', () => {
    expect(
      Array.from(decodeTensor('b', [true, false, 1], 'bool', undefined).data as Uint8Array),
    ).toEqual([1, 0, 1]);
    expect(decodeTensor('s', ['a', 'b'], 'string', undefined).data).toEqual(['a', 'b']);
  });
});

describe('encodeTensor', () => {
  it('nests data to match dims', () => {
    expect(encodeTensor('float32', [2, 2], new Float32Array([1, 2, 3, 4])).data).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(encodeTensor('float32', [], new Float32Array([7])).data).toBe(7);
  });

  it('returns safe int64 values as numbers and larger ones as strings', () => {
    const t = encodeTensor('int64', [2], BigInt64Array.from([5n, 2n ** 60n]));
    expect(t.data).toEqual([5, (2n ** 60n).toString()]);
  });

  it('returns bools as booleans', () => {
    expect(encodeTensor('bool', [2], new Uint8Array([1, 0])).data).toEqual([true, false]);
  });
});
