import type { Readable } from 'node:stream';

/** Reads `[start, end]` (inclusive) of a stored object as a stream. */
export type RangeOpener = (start: number, end: number) => Promise<Readable>;

/** Raised when a model file is not what its header claims; the upload itself stays valid. */
export class ManifestParseError extends Error {
  override name = 'ManifestParseError';
}

/**
 * Sequential reader over a stored object that fetches only the blocks it needs through ranged
 * reads. Skipping (ONNX weights, GGUF tensor data) costs nothing: no byte of a skipped region is
 * downloaded, so a multi-gigabyte model's header is read with a few small requests.
 */
export class RangeReader {
  pos = 0;
  /** Bytes fetched from the store so far (for tests and logs). */
  fetched = 0;
  private block = Buffer.alloc(0);
  private blockStart = 0;

  constructor(
    private readonly open: RangeOpener,
    readonly size: number,
    private readonly blockSize = 256 * 1024,
    /** Largest single field the reader will load, bytes. */
    private readonly maxField = 64 * 1024 * 1024,
  ) {}

  get remaining(): number {
    return this.size - this.pos;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.size)
      throw new ManifestParseError(`Truncated file: cannot skip ${n} bytes at ${this.pos}`);
    this.pos += n;
  }

  async bytes(n: number): Promise<Buffer> {
    await this.ensure(n);
    const off = this.pos - this.blockStart;
    this.pos += n;
    return this.block.subarray(off, off + n);
  }

  async u8(): Promise<number> {
    return (await this.bytes(1)).readUInt8(0);
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  async u64(): Promise<number> {
    const v = (await this.bytes(8)).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ManifestParseError(`Integer too large at ${this.pos - 8}`);
    return Number(v);
  }

  /** A protobuf base-128 varint (up to 2^53). */
  async varint(): Promise<number> {
    await this.ensure(Math.min(10, this.remaining));
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.block[this.pos - this.blockStart];
      if (b === undefined) throw new ManifestParseError('Truncated varint');
      this.pos++;
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
    throw new ManifestParseError('Malformed varint');
  }

  private async ensure(n: number): Promise<void> {
    if (n > this.maxField)
      throw new ManifestParseError(`Field of ${n} bytes exceeds the ${this.maxField}-byte limit`);
    if (this.pos + n > this.size)
      throw new ManifestParseError(
        `Truncated file: need ${n} bytes at ${this.pos}, size ${this.size}`,
      );
    if (this.pos >= this.blockStart && this.pos + n <= this.blockStart + this.block.length) return;
    const start = this.pos;
    const end = Math.min(this.size, start + Math.max(n, this.blockSize)) - 1;
    const chunks: Buffer[] = [];
    for await (const c of await this.open(start, end)) chunks.push(c as Buffer);
    this.block = Buffer.concat(chunks);
    this.blockStart = start;
    this.fetched += this.block.length;
    if (this.block.length < n) throw new ManifestParseError(`Short read at ${start}`);
  }
}

/** Synchronous protobuf reader over a small in-memory message. */
export class ProtoBuf {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new ManifestParseError('Truncated varint');
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
    throw new ManifestParseError('Malformed varint');
  }

  bytes(): Buffer {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new ManifestParseError('Truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ManifestParseError(`Unsupported wire type ${wire}`);
  }
}
