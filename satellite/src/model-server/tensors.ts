import { InvalidRequest } from '../common/errors.js';

/** Element types onnxruntime-node accepts from JSON (float16/bfloat16 have no JSON form here). */
export const JSON_TENSOR_TYPES = [
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
] as const;
export type JsonTensorType = (typeof JSON_TENSOR_TYPES)[number];

/** A tensor value decoded from JSON, ready for `new ort.Tensor(type, data, dims)`. */
export interface DecodedTensor {
  type: JsonTensorType;
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | BigInt64Array
    | BigUint64Array
    | string[];
  dims: number[];
}

/** A tensor as the `/predict` response returns it: `data` nested to match `dims`. */
export interface EncodedTensor {
  type: string;
  dims: number[];
  data: unknown;
}

const INT_RANGES: Partial<Record<JsonTensorType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/**
 * Decodes one input from JSON: either a nested array (`[[1, 2], [3, 4]]`, dims inferred) or
 * `{ data: flat array, dims }`. Values are checked against `type`; `expectedShape` (from the
 * graph, symbolic dimensions as strings) is checked when given.
 */
export function decodeTensor(
  name: string,
  value: unknown,
  type: string,
  expectedShape: readonly (number | string)[] | undefined,
): DecodedTensor {
  if (!(JSON_TENSOR_TYPES as readonly string[]).includes(type)) {
    throw new InvalidRequest(
      `Input ${name} has element type ${type}, which cannot be sent as JSON`,
      name,
    );
  }
  const tensorType = type as JsonTensorType;
  let flat: unknown[];
  let dims: number[];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (!Array.isArray(obj.data) || !Array.isArray(obj.dims)) {
      throw new InvalidRequest(
        `Input ${name}: expected a nested array or { data: [...], dims: [...] }`,
        name,
      );
    }
    dims = obj.dims.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
        throw new InvalidRequest(`Input ${name}: dims must be non-negative integers`, name);
      }
      return d;
    });
    flat = obj.data as unknown[];
    const expected = dims.reduce((a, b) => a * b, 1);
    if (flat.length !== expected) {
      throw new InvalidRequest(
        `Input ${name}: dims [${dims.join(', ')}] need ${expected} values, got ${flat.length}`,
        name,
      );
    }
  } else {
    ({ flat, dims } = flattenNested(name, value));
  }
  if (expectedShape && expectedShape.length > 0) {
    if (expectedShape.length !== dims.length) {
      throw new InvalidRequest(
        `Input ${name}: expected rank ${expectedShape.length} (shape [${expectedShape.join(', ')}]), got dims [${dims.join(', ')}]`,
        name,
      );
    }
    expectedShape.forEach((d, i) => {
      if (typeof d === 'number' && d >= 0 && d !== dims[i]) {
        throw new InvalidRequest(
          `Input ${name}: dimension ${i} must be ${d} (shape [${expectedShape.join(', ')}]), got ${dims[i]}`,
          name,
        );
      }
    });
  }
  return { type: tensorType, dims, data: toTypedData(name, tensorType, flat) };
}

function flattenNested(name: string, value: unknown): { flat: unknown[]; dims: number[] } {
  const dims: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, at: string): void => {
    if (depth === dims.length) {
      if (Array.isArray(node))
        throw new InvalidRequest(`Input ${name}: ragged array at ${at}`, name);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth]) {
      throw new InvalidRequest(
        `Input ${name}: ragged array at ${at} (expected ${dims[depth]} items)`,
        name,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${at}[${i}]`));
  };
  walk(value, 0, name);
  return { flat, dims };
}

function toTypedData(name: string, type: JsonTensorType, flat: unknown[]): DecodedTensor['data'] {
  const bad = (i: number, what: string): never => {
    throw new InvalidRequest(
      `Input ${name}: element ${i} must be ${what}, got ${JSON.stringify(flat[i])}`,
      name,
    );
  };
  switch (type) {
    case 'float32':
    case 'float64': {
      const out =
        type === 'float32' ? new Float32Array(flat.length) : new Float64Array(flat.length);
      flat.forEach((v, i) => {
        if (typeof v !== 'number') bad(i, 'a number');
        out[i] = v as number;
      });
      return out;
    }
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [min, max] = INT_RANGES[type]!;
      const Ctor = {
        int8: Int8Array,
        uint8: Uint8Array,
        int16: Int16Array,
        uint16: Uint16Array,
        int32: Int32Array,
        uint32: Uint32Array,
      }[type];
      const out = new Ctor(flat.length);
      flat.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
          bad(i, `an integer in [${min}, ${max}]`);
        out[i] = v as number;
      });
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out =
        type === 'int64' ? new BigInt64Array(flat.length) : new BigUint64Array(flat.length);
      flat.forEach((v, i) => {
        const big = toBigInt(v);
        if (big === undefined) bad(i, 'an integer (number or decimal string)');
        const min = type === 'int64' ? -(2n ** 63n) : 0n;
        const max = type === 'int64' ? 2n ** 63n - 1n : 2n ** 64n - 1n;
        if (big! < min || big! > max) bad(i, `an integer in the ${type} range`);
        out[i] = big!;
      });
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(flat.length);
      flat.forEach((v, i) => {
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (v === 0 || v === 1) out[i] = v;
        else bad(i, 'a boolean');
      });
      return out;
    }
    case 'string':
      return flat.map((v, i) => (typeof v === 'string' ? v : bad(i, 'a string')));
  }
}

function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
}

/**
 * Encodes an output tensor for JSON: `data` nested to match `dims`. 64-bit integers become
 * numbers when they are safe integers, else decimal strings; bools become booleans.
 */
export function encodeTensor(
  type: string,
  dims: readonly number[],
  data: ArrayLike<unknown>,
): EncodedTensor {
  const values: unknown[] = Array.from(data, (v) => {
    if (typeof v === 'bigint')
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v.toString();
    if (type === 'bool') return v === 1 || v === true;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
  return { type, dims: [...dims], data: nest(values, dims) };
}

function nest(values: unknown[], dims: readonly number[]): unknown {
  if (dims.length === 0) return values[0];
  const build = (offset: number, depth: number): unknown[] => {
    const size = dims[depth]!;
    if (depth === dims.length - 1) return values.slice(offset, offset + size);
    const stride = dims.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, depth + 1));
  };
  return build(0, 0);
}
