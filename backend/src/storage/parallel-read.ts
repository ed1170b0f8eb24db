import { Readable } from 'node:stream';
import type { ByteRange } from './storage-driver.js';

/** Chunk of one ranged GET in a parallel read, bytes. */
export const PARALLEL_READ_CHUNK = 8 * 1024 * 1024;
/** Ranged GETs in flight at once. */
export const PARALLEL_READ_CONCURRENCY = 4;
/** Below this many bytes one plain GET is as fast. */
export const PARALLEL_READ_MIN = 4 * PARALLEL_READ_CHUNK;

/**
 * Streams `range` of an object as ordered chunks fetched by several ranged GETs at once. Object
 * stores cap one connection's throughput well below the link (Azure and its emulator especially),
 * and a server-side sha256 check of a large upload reads the whole object: this keeps that read
 * near the store's aggregate speed. Memory stays bounded at (concurrency + 1) chunks.
 */
export function parallelRead(
  range: ByteRange,
  fetchRange: (r: ByteRange) => Promise<Readable>,
  chunk = PARALLEL_READ_CHUNK,
  concurrency = PARALLEL_READ_CONCURRENCY,
): Readable {
  const ranges: ByteRange[] = [];
  for (let s = range.start; s <= range.end; s += chunk)
    ranges.push({ start: s, end: Math.min(range.end, s + chunk - 1) });
  async function* chunks(): AsyncGenerator<Buffer> {
    const inflight: Promise<Buffer>[] = [];
    let next = 0;
    const launch = () => {
      const r = ranges[next++]!;
      const p = fetchRange(r).then((s) => collect(s, r.end - r.start + 1));
      // Awaited in order below; this only keeps a failure that comes first from being "unhandled".
      p.catch(() => undefined);
      inflight.push(p);
    };
    while (next < ranges.length && inflight.length < concurrency) launch();
    while (inflight.length) {
      const buf = await inflight.shift()!;
      if (next < ranges.length) launch();
      yield buf;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function collect(s: Readable, expected: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    parts.push(b);
    n += b.length;
  }
  if (n !== expected) throw new Error(`a ranged read returned ${n} bytes instead of ${expected}`);
  return Buffer.concat(parts, n);
}
