import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SatelliteError, errnoCode } from '../common/errors.js';

/** The downloaded bytes do not match the artifact's recorded sha256 or size. */
export class ArtifactMismatch extends SatelliteError {
  constructor(message: string) {
    super('artifact_mismatch', message);
  }
}

/** The artifact could not be downloaded. */
export class ArtifactDownloadFailed extends SatelliteError {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super('artifact_download_failed', message);
  }
}

export interface CachedArtifact {
  path: string;
  /** True when the file was already in the cache (no download). */
  cached: boolean;
}

/**
 * Artifacts on this host, one file per sha256 (`{dir}/{sha256}.{format}`): a model deployed
 * twice, or again after a restart, is downloaded once. A file enters the cache only after its
 * size and sha256 were verified; concurrent requests for the same sha share one download.
 */
export class ArtifactCache {
  private readonly inFlight = new Map<string, Promise<CachedArtifact>>();

  constructor(readonly dir: string) {}

  pathOf(sha256: string, format: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ArtifactMismatch(`Invalid sha256 "${sha256}"`);
    return path.join(this.dir, `${sha256}.${format.replace(/[^a-z0-9]/gi, '') || 'bin'}`);
  }

  async ensure(
    a: { url: string; sha256: string; size: number; format: string },
    opts: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void } = {},
  ): Promise<CachedArtifact> {
    const target = this.pathOf(a.sha256, a.format);
    const existing = await stat(target).catch((e: unknown) => {
      if (errnoCode(e) === 'ENOENT') return null;
      throw e;
    });
    if (existing?.size === a.size) return { path: target, cached: true };
    let p = this.inFlight.get(target);
    if (!p) {
      p = this.download(a, target, opts).finally(() => this.inFlight.delete(target));
      this.inFlight.set(target, p);
    }
    return p;
  }

  private async download(
    a: { url: string; sha256: string; size: number },
    target: string,
    opts: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void },
  ): Promise<CachedArtifact> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${target}.part-${randomBytes(4).toString('hex')}`;
    let res: Response;
    try {
      res = await fetch(a.url, { signal: opts.signal });
    } catch (e) {
      opts.signal?.throwIfAborted();
      throw new ArtifactDownloadFailed(`Download failed: ${(e as Error).message}`, true);
    }
    if (!res.ok || !res.body) {
      // 403/404 on a signed URL means it expired or the artifact went away: a new attempt gets a new URL.
      throw new ArtifactDownloadFailed(
        `Download answered ${res.status}`,
        res.status >= 500 || res.status === 403 || res.status === 408 || res.status === 429,
      );
    }
    const hash = createHash('sha256');
    let received = 0;
    let lastReport = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        received += chunk.length;
        if (opts.onProgress && Date.now() - lastReport > 1000) {
          lastReport = Date.now();
          opts.onProgress(received, a.size);
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        meter,
        createWriteStream(tmp),
        { signal: opts.signal },
      );
      if (received !== a.size)
        throw new ArtifactMismatch(`Downloaded ${received} bytes, expected ${a.size}`);
      const digest = hash.digest('hex');
      if (digest !== a.sha256)
        throw new ArtifactMismatch(`sha256 of the download is ${digest}, expected ${a.sha256}`);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { path: target, cached: false };
  }
}
