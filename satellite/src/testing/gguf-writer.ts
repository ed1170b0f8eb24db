import { writeFile } from 'node:fs/promises';

/** GGUF metadata value types (gguf.h `gguf_type`). */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

type ScalarType = Exclude<(typeof GgufType)[keyof typeof GgufType], typeof GgufType.ARRAY>;

/** One metadata entry: a scalar, or an array of one scalar type. */
export type GgufMetadataValue =
  | { type: ScalarType; value: number | bigint | boolean | string }
  | {
      type: typeof GgufType.ARRAY;
      itemType: ScalarType;
      value: readonly (number | bigint | boolean | string)[];
    };

/** One f32 tensor; `dims` in ggml order (`ne[0]` is the fastest-moving, the row length). */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

const GGML_TYPE_F32 = 0;
const ALIGNMENT = 32;

/** Serializes a GGUF v3 file: header, metadata, tensor infos, then aligned f32 tensor data. */
export function encodeGguf(
  metadata: ReadonlyMap<string, GgufMetadataValue>,
  tensors: readonly GgufTensor[],
): Buffer {
  const out = new ByteWriter();
  out.raw(Buffer.from('GGUF', 'latin1'));
  out.u32(3);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.size));
  for (const [key, entry] of metadata) {
    out.str(key);
    out.u32(entry.type);
    if (entry.type === GgufType.ARRAY) {
      out.u32(entry.itemType);
      out.u64(BigInt(entry.value.length));
      for (const item of entry.value) writeScalar(out, entry.itemType, item);
    } else {
      writeScalar(out, entry.type, entry.value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    const elements = tensor.dims.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) {
      throw new RangeError(
        `Tensor ${tensor.name}: dims ${tensor.dims.join('x')} need ${elements} values, got ${tensor.data.length}`,
      );
    }
    out.str(tensor.name);
    out.u32(tensor.dims.length);
    for (const d of tensor.dims) out.u64(BigInt(d));
    out.u32(GGML_TYPE_F32);
    out.u64(BigInt(offset));
    offsets.push(offset);
    offset = align(offset + tensor.data.byteLength);
  }
  out.pad(ALIGNMENT);
  const dataStart = out.length;
  for (const [i, tensor] of tensors.entries()) {
    out.pad(ALIGNMENT);
    if (out.length - dataStart !== offsets[i])
      throw new Error(`GGUF writer misaligned tensor ${tensor.name}`);
    out.raw(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  return out.toBuffer();
}

/** Writes `encodeGguf(...)` to `path`. */
export async function writeGguf(
  path: string,
  metadata: ReadonlyMap<string, GgufMetadataValue>,
  tensors: readonly GgufTensor[],
): Promise<void> {
  await writeFile(path, encodeGguf(metadata, tensors));
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

function writeScalar(
  out: ByteWriter,
  type: ScalarType,
  value: number | bigint | boolean | string,
): void {
  switch (type) {
    case GgufType.UINT8:
      return out.scalar(1, (b) => b.writeUInt8(Number(value)));
    case GgufType.INT8:
      return out.scalar(1, (b) => b.writeInt8(Number(value)));
    case GgufType.UINT16:
      return out.scalar(2, (b) => b.writeUInt16LE(Number(value)));
    case GgufType.INT16:
      return out.scalar(2, (b) => b.writeInt16LE(Number(value)));
    case GgufType.UINT32:
      return out.u32(Number(value));
    case GgufType.INT32:
      return out.scalar(4, (b) => b.writeInt32LE(Number(value)));
    case GgufType.FLOAT32:
      return out.scalar(4, (b) => b.writeFloatLE(Number(value)));
    case GgufType.BOOL:
      return out.scalar(1, (b) => b.writeUInt8(value ? 1 : 0));
    case GgufType.STRING:
      return out.str(String(value));
    case GgufType.UINT64:
      return out.u64(BigInt(value));
    case GgufType.INT64:
      return out.scalar(8, (b) => b.writeBigInt64LE(BigInt(value)));
    case GgufType.FLOAT64:
      return out.scalar(8, (b) => b.writeDoubleLE(Number(value)));
  }
}

class ByteWriter {
  private readonly chunks: Buffer[] = [];
  length = 0;

  raw(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  scalar(size: number, fill: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    fill(b);
    this.raw(b);
  }

  u32(v: number): void {
    this.scalar(4, (b) => b.writeUInt32LE(v));
  }

  u64(v: bigint): void {
    this.scalar(8, (b) => b.writeBigUInt64LE(v));
  }

  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(BigInt(bytes.length));
    this.raw(bytes);
  }

  pad(to: number): void {
    const rest = this.length % to;
    if (rest !== 0) this.raw(Buffer.alloc(to - rest));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}
