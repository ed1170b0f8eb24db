import type { ProgressCallback } from '../core/progress.js';

/** Options of `client.artifacts.download()`. */
export interface DownloadOptions {
  /** Progress reports: `downloading`, then `verifying`. */
  onProgress?: ProgressCallback;
  /** Cancels the download; the `.part` file stays and a later call resumes it. */
  signal?: AbortSignal;
  /** Range requests in flight at once. Default 4. */
  concurrency?: number;
  /** Bytes per Range request. Default 8 MiB. */
  chunkSize?: number;
  /** Replace an existing destination file. Default true. */
  overwrite?: boolean;
}

/** What a finished download produced. */
export interface DownloadResult {
  /** The file written. */
  path: string;
  /** Bytes. */
  size: number;
  /** Verified hex sha256. */
  sha256: string;
  /** Bytes found already downloaded by an earlier, interrupted run. */
  resumedBytes: number;
}
