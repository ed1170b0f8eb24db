import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parallelRead } from './parallel-read.js';
import type { ByteRange } from './storage-driver.js';

async function drain(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('parallelRead', () => {
  it('returns the range in order even when later chunks arrive first', async () => {
    const data = randomBytes(1000);
    let inflight = 0;
    let peak = 0;
    const fetchRange = async (r: ByteRange) => {
      inflight++;
      peak = Math.max(peak, inflight);
      // Earlier chunks are slower, so completion order is the reverse of stream order.
      await new Promise((res) => setTimeout(res, 40 - r.start / 30));
      inflight--;
      return Readable.from([data.subarray(r.start, r.end + 1)]);
    };
    const got = await drain(parallelRead({ start: 100, end: 899 }, fetchRange, 64, 3));
    expect(got.equals(data.subarray(100, 900))).toBe(true);
    expect(peak).toBe(3);
  });

  it('fails the stream when a chunk fails or comes back short', async () => {
    const failing = (r: ByteRange) =>
      r.start >= 200
        ? Promise.reject(new Error('store said no'))
        : Promise.resolve(Readable.from([Buffer.alloc(r.end - r.start + 1)]));
    await expect(drain(parallelRead({ start: 0, end: 999 }, failing, 100, 4))).rejects.toThrow(
      'store said no',
    );
    const short = (r: ByteRange) => Promise.resolve(Readable.from([Buffer.alloc(r.end - r.start)]));
    await expect(drain(parallelRead({ start: 0, end: 999 }, short, 100, 4))).rejects.toThrow(
      '99 bytes instead of 100',
    );
  });
});
