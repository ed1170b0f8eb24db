import { GgufType, writeGguf, type GgufMetadataValue, type GgufTensor } from './gguf-writer.js';

/** Shape of the tiny llama written by {@link writeTinyGguf}. */
export interface TinyGgufOptions {
  /** Seed of the weights' pseudo-random generator. Default 42. */
  seed?: number;
  /** `llama.context_length`, tokens. Default 512. */
  contextLength?: number;
  /** `general.name`. Default `apogee-tiny-llama`. */
  name?: string;
}

/** Hyper-parameters of the tiny llama (public so tests can assert on them). */
export const TINY_LLAMA = {
  embeddingLength: 32,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 64,
  blockCount: 2,
} as const;

const WORDS = [
  'hello',
  'world',
  'the',
  'model',
  'apogee',
  'satellite',
  'orbit',
  'deploy',
  'token',
  'tiny',
  'is',
  'a',
  'of',
  'and',
  'to',
  'in',
  'it',
  'on',
  'up',
  'run',
];

/**
 * The vocabulary of the tiny llama: `<unk>`, `<s>`, `</s>`, the 256 byte tokens SentencePiece
 * falls back to (llama.cpp looks up `<0x0A>` and others by name), single characters and a few
 * words. Every token is unique: llama.cpp aborts the whole process on a duplicate.
 */
export function tinyLlamaVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [2, 3, 3]; // UNKNOWN, CONTROL, CONTROL
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // BYTE
  }
  const normal = new Set<string>(['▁']);
  for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789.,!?') {
    normal.add(c);
    normal.add(`▁${c}`);
  }
  for (const w of WORDS) {
    normal.add(`▁${w}`);
    normal.add(w);
  }
  for (const t of normal) {
    tokens.push(t);
    types.push(1); // NORMAL
  }
  if (new Set(tokens).size !== tokens.length)
    throw new Error('tiny llama vocabulary has duplicate tokens');
  // SentencePiece merges the highest-scoring pieces first: prefer longer pieces.
  const scores = tokens.map((t, i) => (types[i] === 1 ? t.length * 10 - i / 1000 : 0));
  return { tokens, scores, types };
}

/**
 * Writes a tiny but complete llama-architecture GGUF v3 model (f32 weights, SentencePiece
 * vocabulary) that llama.cpp loads and generates from. Weights are pseudo-random from `seed`; the
 * output rows of special and byte tokens are zero, so greedy decoding emits readable word pieces
 * and never stops on `</s>` (pass a token limit).
 */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<void> {
  const {
    embeddingLength: d,
    headCount,
    headCountKv,
    feedForwardLength: ff,
    blockCount,
  } = TINY_LLAMA;
  const headDim = d / headCount;
  const kvDim = headDim * headCountKv;
  const vocab = tinyLlamaVocabulary();
  const n = vocab.tokens.length;
  const rand = mulberry32(options.seed ?? 42);
  const randomMatrix = (rows: number, cols: number): Float32Array => {
    const scale = 1 / Math.sqrt(cols);
    const m = new Float32Array(rows * cols);
    for (let i = 0; i < m.length; i++) m[i] = (rand() * 2 - 1) * scale * 1.7;
    return m;
  };
  const ones = (len: number) => new Float32Array(len).fill(1);

  const output = randomMatrix(n, d);
  for (let t = 0; t < n; t++) if (vocab.types[t] !== 1) output.fill(0, t * d, (t + 1) * d);

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [d, n], data: randomMatrix(n, d) },
    { name: 'output_norm.weight', dims: [d], data: ones(d) },
    { name: 'output.weight', dims: [d, n], data: output },
  ];
  for (let i = 0; i < blockCount; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}attn_q.weight`, dims: [d, d], data: randomMatrix(d, d) },
      { name: `${p}attn_k.weight`, dims: [d, kvDim], data: randomMatrix(kvDim, d) },
      { name: `${p}attn_v.weight`, dims: [d, kvDim], data: randomMatrix(kvDim, d) },
      { name: `${p}attn_output.weight`, dims: [d, d], data: randomMatrix(d, d) },
      { name: `${p}ffn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}ffn_gate.weight`, dims: [d, ff], data: randomMatrix(ff, d) },
      { name: `${p}ffn_up.weight`, dims: [d, ff], data: randomMatrix(ff, d) },
      { name: `${p}ffn_down.weight`, dims: [ff, d], data: randomMatrix(d, ff) },
    );
  }

  const u32 = (value: number): GgufMetadataValue => ({ type: GgufType.UINT32, value });
  const metadata = new Map<string, GgufMetadataValue>([
    ['general.architecture', { type: GgufType.STRING, value: 'llama' }],
    ['general.name', { type: GgufType.STRING, value: options.name ?? 'apogee-tiny-llama' }],
    ['general.file_type', u32(0)],
    ['general.alignment', u32(32)],
    ['llama.context_length', u32(options.contextLength ?? 512)],
    ['llama.embedding_length', u32(d)],
    ['llama.block_count', u32(blockCount)],
    ['llama.feed_forward_length', u32(ff)],
    ['llama.attention.head_count', u32(headCount)],
    ['llama.attention.head_count_kv', u32(headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', { type: GgufType.FLOAT32, value: 1e-5 }],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.rope.freq_base', { type: GgufType.FLOAT32, value: 10000 }],
    ['llama.vocab_size', u32(n)],
    ['tokenizer.ggml.model', { type: GgufType.STRING, value: 'llama' }],
    [
      'tokenizer.ggml.tokens',
      { type: GgufType.ARRAY, itemType: GgufType.STRING, value: vocab.tokens },
    ],
    [
      'tokenizer.ggml.scores',
      { type: GgufType.ARRAY, itemType: GgufType.FLOAT32, value: vocab.scores },
    ],
    [
      'tokenizer.ggml.token_type',
      { type: GgufType.ARRAY, itemType: GgufType.INT32, value: vocab.types },
    ],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: GgufType.BOOL, value: true }],
    ['tokenizer.ggml.add_eos_token', { type: GgufType.BOOL, value: false }],
  ]);
  await writeGguf(path, metadata, tensors);
}

/** A small seeded PRNG (mulberry32): same seed, same weights, on every machine. */
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
