import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { APIUserAbortError } from '../core/errors.js';

/** One request body for a byte range of an upload source. */
export interface SourceBody {
  /** What axios sends: a Blob slice in browsers, a file read stream in Node. */
  data: unknown;
  /** Headers the body needs, e.g. `Content-Length` for a stream. */
  headers: Record<string, string>;
}

/**
 * Something to upload. Implementations must never hold the whole content in memory:
 * `body()` returns a fresh, lazily read body for each part and each retry.
 */
export interface UploadSource {
  /** File name to record on the artifact. */
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  /** MIME type, when known. */
  readonly contentType?: string;
  /** A body for the bytes `[start, end)`. */
  body(start: number, end: number): SourceBody;
  /** Hex sha256 of the whole content, read as a stream; `onBytes` gets each chunk's length. */
  sha256(onBytes: (n: number) => void, signal?: AbortSignal): Promise<string>;
  /** Identifies a local file for the resume record (Node file sources only). */
  readonly fingerprint?: { path: string; size: number; mtimeMs: number };
}

/** Wraps a `Blob` or `File` (browser, or Node ≥ 18): slices are sent as they are read. */
export function blobSource(blob: Blob, name?: string): UploadSource {
  const fileName = name ?? (blob as { name?: unknown }).name;
  return {
    name: typeof fileName === 'string' && fileName ? fileName : 'blob',
    size: blob.size,
    contentType: blob.type || undefined,
    body: (start, end) => ({ data: blob.slice(start, end), headers: {} }),
    sha256: (onBytes, signal) => hashStream(blob.stream(), onBytes, signal),
  };
}

/**
 * Incremental sha256 over a web stream with `@noble/hashes` (WebCrypto cannot hash
 * incrementally, and a whole model does not fit in memory).
 */
export async function hashStream(
  stream: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const h = sha256.create();
  const reader = stream.getReader();
  try {
    for (;;) {
      if (signal?.aborted) throw new APIUserAbortError();
      const { done, value } = await reader.read();
      if (done) break;
      h.update(value);
      onBytes(value.length);
    }
  } finally {
    reader.releaseLock();
  }
  return bytesToHex(h.digest());
}

/** True for `Blob`/`File` instances, including ones from another realm. */
export function isBlob(x: unknown): x is Blob {
  if (typeof Blob !== 'undefined' && x instanceof Blob) return true;
  const b = x as { size?: unknown; slice?: unknown; stream?: unknown };
  return (
    !!b &&
    typeof b.size === 'number' &&
    typeof b.slice === 'function' &&
    typeof b.stream === 'function'
  );
}
