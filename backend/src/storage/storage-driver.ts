import type { Readable } from 'node:stream';

/** A byte range, inclusive start and end, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A URL the client calls directly, with the headers it must send. */
export interface SignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  headers: Record<string, string>;
  expiresAt: Date;
}

/** A part already held by the storage for an unfinished multipart upload. */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** The result of one step of a connection test. */
export interface ConnectionCheck {
  step: 'list' | 'write' | 'read' | 'delete';
  ok: boolean;
  error?: string;
  ms: number;
}

/**
 * One object store (local disk, S3, Azure Blob). Bytes move directly between the client and the
 * store through signed requests; the API only signs, checks and finalizes. Keys are relative to
 * the backend's bucket/container/root.
 *
 * Drivers throw {@link StorageError} subclasses (see storage-errors.ts) with a stable `code`.
 */
export interface StorageDriver {
  readonly kind: 'local' | 's3' | 'azure';

  /** Signed single-request upload of the whole object (small files). */
  signPut(
    key: string,
    opts: { size: number; contentType: string; ttlSec: number },
  ): Promise<SignedRequest>;

  /** Starts a multipart upload; returns the store's upload id (S3 UploadId, Azure a generated id, local a directory id). */
  createMultipart(key: string, opts: { contentType: string }): Promise<string>;
  /** Signed upload of one part (1-based). The response's ETag header is the part's etag. */
  signPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; ttlSec: number },
  ): Promise<SignedRequest>;
  /** Parts already stored for an upload — lets a client resume without re-sending them. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /** Joins the parts into the final object. */
  completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;

  /** Signed download; supports HTTP Range. `fileName` sets Content-Disposition. */
  signGet(key: string, opts: { ttlSec: number; fileName?: string }): Promise<SignedRequest>;
  /** Size of a stored object, or null when it does not exist. */
  head(key: string): Promise<{ size: number } | null>;
  /** Streams an object (or a range of it) — for server-side checksum and manifest reads. Never buffers it whole. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;

  /** list → write → read → delete of a small probe object; stops at the first failing step. */
  testConnection(): Promise<ConnectionCheck[]>;
}
