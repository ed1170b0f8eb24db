import { open, stat, truncate, appendFile } from 'node:fs/promises';
import { errnoCode } from '../common/errors.js';

/**
 * Keeps the last `capacity` lines pushed into it (a ring buffer); partial lines are joined
 * across pushes.
 */
export class LineRing {
  private readonly lines: string[] = [];
  private start = 0;
  private partial = '';

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('LineRing capacity must be a positive integer');
  }

  /** Adds text; complete lines enter the ring, a trailing partial line waits for the rest. */
  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private add(line: string): void {
    if (this.lines.length < this.capacity) this.lines.push(line);
    else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The last `n` complete lines (and the pending partial one), oldest first. */
  last(n = this.capacity): string[] {
    const ordered = [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    if (this.partial) ordered.push(this.partial);
    return n <= 0 ? [] : ordered.slice(-n);
  }
}

/** Reads the last `n` lines of a file, scanning at most `maxBytes` from its end. Missing file: `[]`. */
export async function tailFile(
  path: string,
  n: number,
  maxBytes = 4 * 1024 * 1024,
): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  try {
    const { size } = await handle.stat();
    const ring = new LineRing(Math.max(1, n));
    const chunk = 64 * 1024;
    // Read backwards until enough newlines are seen, then feed the ring forwards.
    let from = size;
    let newlines = 0;
    while (from > 0 && size - from < maxBytes && newlines <= n) {
      const len = Math.min(chunk, from);
      from -= len;
      const buf = Buffer.alloc(len);
      await handle.read(buf, 0, len, from);
      for (const b of buf) if (b === 0x0a) newlines++;
    }
    const buf = Buffer.alloc(size - from);
    await handle.read(buf, 0, buf.length, from);
    ring.push(buf.toString('utf8'));
    return n <= 0 ? [] : ring.last(n);
  } finally {
    await handle.close();
  }
}

/**
 * Keeps a log file under `maxBytes` by cutting it back to its last half. The writer must have
 * opened it with O_APPEND (as the process runtime does), so its next writes land at the new end.
 */
export async function trimFile(path: string, maxBytes: number): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
  if (size <= maxBytes) return false;
  const keep = Math.floor(maxBytes / 2);
  const handle = await open(path, 'r');
  let tail: Buffer;
  try {
    tail = Buffer.alloc(keep);
    await handle.read(tail, 0, keep, size - keep);
  } finally {
    await handle.close();
  }
  const firstNewline = tail.indexOf(0x0a);
  const kept = firstNewline >= 0 ? tail.subarray(firstNewline + 1) : tail;
  await truncate(path, 0);
  await appendFile(
    path,
    Buffer.concat([Buffer.from(`[log trimmed: kept the last ${kept.length} bytes]\n`), kept]),
  );
  return true;
}

/**
 * Splits the multiplexed stream Docker returns for a non-TTY container's logs (8-byte frame
 * headers: stream type, 3 zero bytes, big-endian length) into text. Plain text (TTY) passes through.
 */
export function demuxDockerLogs(buf: Buffer): string {
  const looksFramed =
    buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!looksFramed) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const len = buf.readUInt32BE(offset + 4);
    parts.push(buf.subarray(offset + 8, offset + 8 + len));
    offset += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}
