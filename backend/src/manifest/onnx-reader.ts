import { ManifestParseError, ProtoBuf, type RangeReader } from './range-reader.js';

/** One graph input or output: name, element type and shape (numbers, or names for symbolic dims). */
export interface OnnxTensorSpec {
  name: string;
  /** e.g. `float32`, `int64`; `sequence`/`map`/`optional` for non-tensor values. */
  elemType: string;
  /** null when the shape is unknown; a dim is a number, a symbolic name, or null when unnamed. */
  shape: (number | string | null)[] | null;
}

export interface OnnxManifest {
  format: 'onnx';
  irVersion: number | null;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number | null;
  graphName: string;
  /** Default-domain opset version (the one runtimes care about). */
  opset: number | null;
  opsetImports: { domain: string; version: number }[];
  inputs: OnnxTensorSpec[];
  outputs: OnnxTensorSpec[];
  metadata: Record<string, string>;
}

const ELEM_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

/**
 * Reads an ONNX `ModelProto`'s metadata, graph inputs and outputs without loading the weights:
 * the top-level message and the graph are walked field by field, and nodes and initializers are
 * skipped by offset (never fetched).
 */
export async function readOnnxManifest(r: RangeReader): Promise<OnnxManifest> {
  const m: OnnxManifest = {
    format: 'onnx',
    irVersion: null,
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: null,
    graphName: '',
    opset: null,
    opsetImports: [],
    inputs: [],
    outputs: [],
    metadata: {},
  };
  let sawGraph = false;
  while (r.remaining > 0) {
    const { field, wire } = tag(await r.varint());
    if (wire === 0) {
      const v = await r.varint();
      if (field === 1) m.irVersion = v;
      else if (field === 5) m.modelVersion = v;
      continue;
    }
    if (wire !== 2) {
      skipFixed(r, wire);
      continue;
    }
    const len = await r.varint();
    switch (field) {
      case 2:
        m.producerName = (await r.bytes(len)).toString('utf8');
        break;
      case 3:
        m.producerVersion = (await r.bytes(len)).toString('utf8');
        break;
      case 4:
        m.domain = (await r.bytes(len)).toString('utf8');
        break;
      case 7:
        await readGraph(r, r.pos + len, m);
        sawGraph = true;
        break;
      case 8:
        m.opsetImports.push(opset(await r.bytes(len)));
        break;
      case 14: {
        const [k, v] = keyValue(await r.bytes(len));
        m.metadata[k] = v;
        break;
      }
      default:
        r.skip(len);
    }
  }
  if (!sawGraph || m.irVersion === null)
    throw new ManifestParseError('Not an ONNX model: no graph or IR version');
  m.opset = m.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null;
  return m;
}

async function readGraph(r: RangeReader, end: number, m: OnnxManifest): Promise<void> {
  while (r.pos < end) {
    const { field, wire } = tag(await r.varint());
    if (wire === 0) {
      await r.varint();
      continue;
    }
    if (wire !== 2) {
      skipFixed(r, wire);
      continue;
    }
    const len = await r.varint();
    if (field === 2) m.graphName = (await r.bytes(len)).toString('utf8');
    else if (field === 11) m.inputs.push(valueInfo(await r.bytes(len)));
    else if (field === 12) m.outputs.push(valueInfo(await r.bytes(len)));
    else r.skip(len); // nodes, initializers, value_info, docs: not needed
  }
  if (r.pos !== end) throw new ManifestParseError('Malformed graph');
}

function tag(v: number): { field: number; wire: number } {
  return { field: Math.floor(v / 8), wire: v % 8 };
}

function skipFixed(r: RangeReader, wire: number): void {
  if (wire === 1) r.skip(8);
  else if (wire === 5) r.skip(4);
  else throw new ManifestParseError(`Unsupported wire type ${wire}`);
}

function opset(buf: Buffer): { domain: string; version: number } {
  const p = new ProtoBuf(buf);
  const o = { domain: '', version: 0 };
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    if (field === 1 && wire === 2) o.domain = p.string();
    else if (field === 2 && wire === 0) o.version = p.varint();
    else p.skip(wire);
  }
  return o;
}

function keyValue(buf: Buffer): [string, string] {
  const p = new ProtoBuf(buf);
  let k = '';
  let v = '';
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    if (field === 1 && wire === 2) k = p.string();
    else if (field === 2 && wire === 2) v = p.string();
    else p.skip(wire);
  }
  return [k, v];
}

function valueInfo(buf: Buffer): OnnxTensorSpec {
  const p = new ProtoBuf(buf);
  const spec: OnnxTensorSpec = { name: '', elemType: 'unknown', shape: null };
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    if (field === 1 && wire === 2) spec.name = p.string();
    else if (field === 2 && wire === 2) Object.assign(spec, typeProto(p.bytes()));
    else p.skip(wire);
  }
  return spec;
}

function typeProto(buf: Buffer): Pick<OnnxTensorSpec, 'elemType' | 'shape'> {
  const p = new ProtoBuf(buf);
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    // 1 tensor_type, 9 sparse_tensor_type share the Tensor layout; 4 sequence, 5 map, 8 optional.
    if ((field === 1 || field === 9) && wire === 2) return tensorType(p.bytes());
    if (field === 4 && wire === 2) {
      p.skip(wire);
      return { elemType: 'sequence', shape: null };
    }
    if (field === 5 && wire === 2) {
      p.skip(wire);
      return { elemType: 'map', shape: null };
    }
    if (field === 8 && wire === 2) {
      p.skip(wire);
      return { elemType: 'optional', shape: null };
    }
    p.skip(wire);
  }
  return { elemType: 'unknown', shape: null };
}

function tensorType(buf: Buffer): Pick<OnnxTensorSpec, 'elemType' | 'shape'> {
  const p = new ProtoBuf(buf);
  const out: Pick<OnnxTensorSpec, 'elemType' | 'shape'> = { elemType: 'unknown', shape: null };
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    if (field === 1 && wire === 0) {
      const t = p.varint();
      out.elemType = ELEM_TYPES[t] ?? `type${t}`;
    } else if (field === 2 && wire === 2) out.shape = shape(p.bytes());
    else p.skip(wire);
  }
  return out;
}

function shape(buf: Buffer): (number | string | null)[] {
  const p = new ProtoBuf(buf);
  const dims: (number | string | null)[] = [];
  while (!p.done) {
    const { field, wire } = tag(p.varint());
    if (field !== 1 || wire !== 2) {
      p.skip(wire);
      continue;
    }
    const d = new ProtoBuf(p.bytes());
    let dim: number | string | null = null;
    while (!d.done) {
      const t = tag(d.varint());
      if (t.field === 1 && t.wire === 0) dim = d.varint();
      else if (t.field === 2 && t.wire === 2) dim = d.string();
      else d.skip(t.wire);
    }
    dims.push(dim);
  }
  return dims;
}
