import { GgufType, writeGguf, type GgufMetadataValue, type GgufTensor } from './gguf-writer.js';
import { TINY_LLAMA } from './tiny-gguf.js';

/** Options of {@link writeTinyLoraGguf}. */
export interface TinyLoraOptions {
  /** Seed of the adapter weights' pseudo-random generator. Default 7. */
  seed?: number;
  /** LoRA rank. Default 4. */
  rank?: number;
  /** `adapter.lora.alpha`; llama.cpp scales the adapter by `alpha / rank`. Default 8. */
  alpha?: number;
  /** `general.name`. Default `apogee-tiny-lora`. */
  name?: string;
}

/**
 * Writes a LoRA adapter GGUF (f32) for the tiny llama of `writeTinyGguf`: `general.type =
 * adapter`, `adapter.type = lora`, `adapter.lora.alpha`, and `lora_a`/`lora_b` pairs for the
 * attention query/value and FFN-up matrices of every block. llama.cpp checks, per pair, that
 * `lora_a` is `[in, rank]` and `lora_b` is `[rank, out]` (ggml order) for a base weight
 * `[in, out]`, and that `general.architecture` matches the base model's.
 */
export async function writeTinyLoraGguf(
  path: string,
  options: TinyLoraOptions = {},
): Promise<void> {
  const {
    embeddingLength: d,
    headCount,
    headCountKv,
    feedForwardLength: ff,
    blockCount,
  } = TINY_LLAMA;
  const kvDim = (d / headCount) * headCountKv;
  const rank = options.rank ?? 4;
  const rand = mulberry32(options.seed ?? 7);
  const random = (len: number, scale: number): Float32Array => {
    const m = new Float32Array(len);
    for (let i = 0; i < m.length; i++) m[i] = (rand() * 2 - 1) * scale;
    return m;
  };
  const tensors: GgufTensor[] = [];
  const pair = (weight: string, inputs: number, outputs: number) => {
    tensors.push(
      { name: `${weight}.lora_a`, dims: [inputs, rank], data: random(inputs * rank, 0.5) },
      { name: `${weight}.lora_b`, dims: [rank, outputs], data: random(rank * outputs, 0.5) },
    );
  };
  for (let i = 0; i < blockCount; i++) {
    pair(`blk.${i}.attn_q.weight`, d, d);
    pair(`blk.${i}.attn_v.weight`, d, kvDim);
    pair(`blk.${i}.ffn_up.weight`, d, ff);
  }
  const metadata = new Map<string, GgufMetadataValue>([
    ['general.architecture', { type: GgufType.STRING, value: 'llama' }],
    ['general.type', { type: GgufType.STRING, value: 'adapter' }],
    ['general.name', { type: GgufType.STRING, value: options.name ?? 'apogee-tiny-lora' }],
    ['general.alignment', { type: GgufType.UINT32, value: 32 }],
    ['adapter.type', { type: GgufType.STRING, value: 'lora' }],
    ['adapter.lora.alpha', { type: GgufType.FLOAT32, value: options.alpha ?? 8 }],
  ]);
  await writeGguf(path, metadata, tensors);
}

/** A small seeded PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
