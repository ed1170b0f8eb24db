/** Tiny ONNX and GGUF files for tests, written by encoders independent of the readers. */
// --- tiny protobuf encoder (independent of the reader) ---
const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const key = (field: number, wire: number) => varint(field * 8 + wire);
const vfield = (f: number, v: number) => Buffer.concat([key(f, 0), varint(v)]);
const bfield = (f: number, b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([key(f, 2), varint(buf.length), buf]);
};
const dims = (ds: (number | string)[]) =>
  Buffer.concat(ds.map((d) => bfield(1, typeof d === 'number' ? vfield(1, d) : bfield(2, d))));
const valueInfo = (name: string, elem: number, ds: (number | string)[]) =>
  Buffer.concat([
    bfield(1, name),
    bfield(2, bfield(1, Buffer.concat([vfield(1, elem), bfield(2, dims(ds))]))),
  ]);

/** ModelProto with a big initializer between nodes and inputs, like real exports. */
export function tinyOnnx(weightBytes: number): Buffer {
  const initializer = Buffer.concat([bfield(8, 'W'), bfield(9, Buffer.alloc(weightBytes, 7))]);
  const graph = Buffer.concat([
    bfield(1, Buffer.concat([bfield(1, 'x'), bfield(2, 'y'), bfield(4, 'Identity')])),
    bfield(2, 'tiny'),
    bfield(5, initializer),
    bfield(11, valueInfo('input_ids', 7, ['batch', 128])),
    bfield(11, valueInfo('mask', 9, ['batch', 'seq'])),
    bfield(12, valueInfo('logits', 1, ['batch', 2])),
  ]);
  return Buffer.concat([
    vfield(1, 8),
    bfield(2, 'apogee-test'),
    bfield(3, '1.2'),
    bfield(7, graph),
    bfield(8, Buffer.concat([bfield(1, ''), vfield(2, 17)])),
    bfield(8, Buffer.concat([bfield(1, 'ai.onnx.ml'), vfield(2, 3)])),
    bfield(14, Buffer.concat([bfield(1, 'license'), bfield(2, 'mit')])),
  ]);
}

// --- tiny GGUF v3 writer ---
function ggufString(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
export const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
export function tinyGguf(dataBytes: number): Buffer {
  const kv = [
    Buffer.concat([ggufString('general.architecture'), u32(8), ggufString('llama')]),
    Buffer.concat([ggufString('general.name'), u32(8), ggufString('tiny-llama')]),
    Buffer.concat([ggufString('general.file_type'), u32(4), u32(15)]),
    Buffer.concat([ggufString('llama.context_length'), u32(4), u32(4096)]),
    Buffer.concat([
      ggufString('tokenizer.ggml.tokens'),
      u32(9),
      u32(8),
      u64(3),
      ggufString('<s>'),
      ggufString('</s>'),
      ggufString('hi'),
    ]),
    Buffer.concat([ggufString('tokenizer.ggml.scores'), u32(9), u32(6), u64(3), Buffer.alloc(12)]),
  ];
  const tensors = [
    Buffer.concat([ggufString('token_embd.weight'), u32(2), u64(32), u64(3), u32(12), u64(0)]),
    Buffer.concat([ggufString('output.weight'), u32(2), u64(32), u64(3), u32(12), u64(4096)]),
  ];
  return Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(tensors.length),
    u64(kv.length),
    ...kv,
    ...tensors,
    Buffer.alloc(dataBytes),
  ]);
}
