import { ManifestParseError, type RangeReader } from './range-reader.js';

export type GgufScalar = number | string | boolean;

export interface GgufManifest {
  format: 'gguf';
  ggufVersion: number;
  architecture: string | null;
  name: string | null;
  /** Sum of the tensors' element counts. */
  parameterCount: number;
  /** `general.file_type` as llama.cpp names it (e.g. `Q4_K_M`), else the dominant tensor type. */
  quantization: string | null;
  fileType: number | null;
  /** `<arch>.context_length`, tokens. */
  contextLength: number | null;
  tensorCount: number;
  /** Scalar metadata (strings up to 64 KiB); arrays are summarised as `{ type: 'array', length }`. */
  metadata: Record<string, GgufScalar | { type: 'array'; itemType: string; length: number }>;
}

const MAGIC = 0x46554747; // 'GGUF' little-endian
const MAX_STRING = 64 * 1024;

const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
};

const TENSOR_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
};

const VALUE_TYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];

/** Reads a GGUF file's header: key/value metadata and tensor infos, never the tensor data. */
export async function readGgufManifest(r: RangeReader): Promise<GgufManifest> {
  if ((await r.u32()) !== MAGIC) throw new ManifestParseError('Not a GGUF file');
  const version = await r.u32();
  if (version < 1 || version > 3)
    throw new ManifestParseError(`Unsupported GGUF version ${version}`);
  const count = () => (version === 1 ? r.u32() : r.u64());
  const str = async (): Promise<string> => {
    const n = await count();
    if (n > MAX_STRING) {
      r.skip(n);
      return '';
    }
    return (await r.bytes(n)).toString('utf8');
  };
  const scalar = async (type: number): Promise<GgufScalar> => {
    switch (type) {
      case 0:
        return r.u8();
      case 1:
        return (await r.bytes(1)).readInt8(0);
      case 2:
        return (await r.bytes(2)).readUInt16LE(0);
      case 3:
        return (await r.bytes(2)).readInt16LE(0);
      case 4:
        return r.u32();
      case 5:
        return (await r.bytes(4)).readInt32LE(0);
      case 6:
        return (await r.bytes(4)).readFloatLE(0);
      case 7:
        return (await r.u8()) !== 0;
      case 8:
        return str();
      case 10:
        return Number((await r.bytes(8)).readBigUInt64LE(0));
      case 11:
        return Number((await r.bytes(8)).readBigInt64LE(0));
      case 12:
        return (await r.bytes(8)).readDoubleLE(0);
      default:
        throw new ManifestParseError(`Unknown GGUF value type ${type}`);
    }
  };
  const FIXED: Record<number, number> = {
    0: 1,
    1: 1,
    2: 2,
    3: 2,
    4: 4,
    5: 4,
    6: 4,
    7: 1,
    10: 8,
    11: 8,
    12: 8,
  };

  const tensorCount = await count();
  const kvCount = await count();
  const metadata: GgufManifest['metadata'] = {};
  for (let i = 0; i < kvCount; i++) {
    const key = await str();
    const type = await r.u32();
    if (type === 9) {
      const itemType = await r.u32();
      const n = await count();
      if (FIXED[itemType] !== undefined) r.skip(n * FIXED[itemType]!);
      else if (itemType === 8) for (let j = 0; j < n; j++) r.skip(await count());
      else throw new ManifestParseError(`Unsupported GGUF array of type ${itemType}`);
      metadata[key] = {
        type: 'array',
        itemType: VALUE_TYPES[itemType] ?? String(itemType),
        length: n,
      };
    } else {
      metadata[key] = await scalar(type);
    }
  }

  let parameterCount = 0;
  const byType = new Map<number, number>();
  for (let i = 0; i < tensorCount; i++) {
    await str();
    const nDims = await r.u32();
    if (nDims > 8) throw new ManifestParseError(`Tensor with ${nDims} dimensions`);
    let elements = 1;
    for (let d = 0; d < nDims; d++) elements *= version === 1 ? await r.u32() : await r.u64();
    const type = await r.u32();
    r.skip(8); // data offset
    parameterCount += elements;
    byType.set(type, (byType.get(type) ?? 0) + elements);
  }

  const arch =
    typeof metadata['general.architecture'] === 'string' ? metadata['general.architecture'] : null;
  const fileType =
    typeof metadata['general.file_type'] === 'number' ? metadata['general.file_type'] : null;
  const dominant = [...byType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const ctx = arch ? metadata[`${arch}.context_length`] : undefined;
  return {
    format: 'gguf',
    ggufVersion: version,
    architecture: arch,
    name: typeof metadata['general.name'] === 'string' ? metadata['general.name'] : null,
    parameterCount,
    quantization:
      fileType !== null
        ? (FILE_TYPES[fileType] ?? `type${fileType}`)
        : dominant !== undefined
          ? (TENSOR_TYPES[dominant] ?? `type${dominant}`)
          : null,
    fileType,
    contextLength: typeof ctx === 'number' ? ctx : null,
    tensorCount,
    metadata,
  };
}
