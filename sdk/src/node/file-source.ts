import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { APIUserAbortError, ApogeeError } from '../core/errors.js';
import type { UploadSource } from '../transfer/source.js';

/** Bytes read at a time while hashing. */
const HASH_CHUNK = 1024 * 1024;

/**
 * A file on disk as an upload source. Each part is a fresh read stream of its byte range, so
 * memory stays at a few buffers per part in flight whatever the file size.
 */
export async function fileSource(filePath: string): Promise<UploadSource> {
  const abs = resolve(filePath);
  const st = await stat(abs).catch((e: unknown) => {
    throw new ApogeeError(`Cannot read ${filePath}: ${(e as Error).message}`, { cause: e });
  });
  if (!st.isFile()) throw new ApogeeError(`${filePath} is not a file`);
  return {
    name: basename(abs),
    size: st.size,
    fingerprint: { path: abs, size: st.size, mtimeMs: st.mtimeMs },
    body: (start, end) =>
      end <= start
        ? { data: Buffer.alloc(0), headers: { 'Content-Length': '0' } }
        : {
            data: createReadStream(abs, { start, end: end - 1, highWaterMark: 256 * 1024 }),
            headers: { 'Content-Length': String(end - start) },
          },
    sha256: (onBytes, signal) => hashFile(abs, onBytes, signal),
  };
}

/** Streams a file through sha256; `onBytes` gets each chunk's length. */
export async function hashFile(
  filePath: string,
  onBytes: (n: number) => void = () => {},
  signal?: AbortSignal,
): Promise<string> {
  const h = createHash('sha256');
  const stream = createReadStream(filePath, { highWaterMark: HASH_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new APIUserAbortError();
      h.update(chunk);
      onBytes(chunk.length);
    }
  } finally {
    stream.destroy();
  }
  return h.digest('hex');
}
