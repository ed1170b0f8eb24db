import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Apogee } from '../client.js';
import {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  ApogeeError,
  ChecksumMismatchError,
} from '../core/errors.js';
import { ProgressTracker } from '../core/progress.js';
import { retryDelayMs, shouldRetry } from '../core/retry.js';
import { sleep } from '../core/sleep.js';
import type { DownloadOptions, DownloadResult } from '../transfer/download-types.js';
import { anySignal } from '../transfer/upload.js';
import type { DownloadUrl } from '../types.js';
import { hashFile } from './file-source.js';

/** Default bytes per Range request: 8 MiB. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/** Default Range requests in flight. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;

/** What `<dest>.part.json` holds: which chunks of `<dest>.part` are complete. */
interface PartState {
  sha256: string;
  size: number;
  chunkSize: number;
  /** Base64 bitmap, bit i set when chunk i is on disk. */
  done: string;
}

/** Thrown by a chunk request whose server ignored the Range header. */
class RangeNotSupported extends Error {}

/**
 * Downloads an artifact into `dest` with parallel Range requests. Bytes go to `<dest>.part` at
 * their offsets; `<dest>.part.json` records finished chunks so an interrupted download resumes.
 * The sha256 of the whole file is checked before it is renamed into place.
 */
export async function downloadArtifact(
  client: Apogee,
  ref: { org: string; orbit: string; artifact: string },
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const outer = opts.signal;
  let info = await client.artifacts.downloadUrl(ref.org, ref.orbit, ref.artifact, {
    signal: outer,
  });
  const size = Number(info.size);
  const target = await resolveDest(dest, info.fileName);
  if (opts.overwrite === false && (await exists(target)))
    throw new ApogeeError(`${target} already exists`);
  await mkdir(dirname(target), { recursive: true });
  const partPath = `${target}.part`;
  const statePath = `${target}.part.json`;
  const chunkSize = Math.max(64 * 1024, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE));
  const chunkCount = Math.ceil(size / chunkSize);
  const bounds = (i: number): [number, number] => [
    i * chunkSize,
    Math.min((i + 1) * chunkSize, size),
  ];

  const previous = await loadState(statePath, partPath, info, chunkSize);
  const bitmap = previous ?? new Uint8Array(Math.ceil(chunkCount / 8));
  const fh = await open(partPath, previous ? 'r+' : 'w');
  let resumedBytes = 0;
  try {
    if (!previous) await fh.truncate(size);
    const isDone = (i: number): boolean => (bitmap[i >> 3]! & (1 << (i & 7))) !== 0;
    const missing: number[] = [];
    for (let i = 0; i < chunkCount; i++) {
      if (isDone(i)) resumedBytes += bounds(i)[1] - bounds(i)[0];
      else missing.push(i);
    }
    const progress = new ProgressTracker('downloading', size, opts.onProgress);
    progress.start('downloading', size, resumedBytes);

    let saving: Promise<void> = Promise.resolve();
    const markDone = (i: number): Promise<void> => {
      bitmap[i >> 3]! |= 1 << (i & 7);
      const state: PartState = {
        sha256: info.sha256,
        size,
        chunkSize,
        done: Buffer.from(bitmap).toString('base64'),
      };
      // Write-then-rename: a kill mid-write must never leave a torn record (which would restart
      // the download from zero).
      saving = saving.then(async () => {
        await writeFile(`${statePath}.tmp`, JSON.stringify(state));
        await rename(`${statePath}.tmp`, statePath);
      });
      return saving;
    };
    let refreshing: Promise<DownloadUrl> | undefined;
    const refreshUrl = async (stale: DownloadUrl): Promise<DownloadUrl> => {
      if (info !== stale) return info;
      refreshing ??= client.artifacts
        .downloadUrl(ref.org, ref.orbit, ref.artifact, { signal: outer })
        .finally(() => {
          refreshing = undefined;
        });
      info = await refreshing;
      return info;
    };
    const ctx: ChunkContext = { client, fh, progress, getInfo: () => info, refreshUrl, size };

    if (missing.length > 0) {
      // The first request tells whether the server honours Range; if not, one stream fills the file.
      const first = missing.shift()!;
      try {
        await fetchChunk(ctx, ...bounds(first), outer);
        await markDone(first);
      } catch (e) {
        if (!(e instanceof RangeNotSupported)) throw e;
        progress.start('downloading', size, 0);
        await fetchChunk(ctx, 0, size, outer, true);
        for (let i = 0; i < chunkCount; i++) await markDone(i);
        missing.length = 0;
      }
      const failed = new AbortController();
      const signal = anySignal(outer, failed.signal);
      const worker = async (): Promise<void> => {
        for (let i = missing.shift(); i !== undefined; i = missing.shift()) {
          await fetchChunk(ctx, ...bounds(i), signal);
          await markDone(i);
        }
      };
      const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY));
      const results = await Promise.allSettled(
        Array.from({ length: Math.min(concurrency, missing.length) }, () =>
          worker().catch((e: unknown) => {
            failed.abort();
            throw e;
          }),
        ),
      );
      const errors = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason);
      if (errors.length) throw errors.find((e) => !(e instanceof APIUserAbortError)) ?? errors[0];
    }
    await saving;
    progress.finish();
    await fh.close();

    progress.start('verifying', size);
    const sha256 = await hashFile(partPath, (n) => progress.add(n), outer);
    if (sha256 !== info.sha256.toLowerCase()) {
      // Some bytes on disk are wrong and we cannot tell which: start clean next time.
      await rm(partPath, { force: true });
      await rm(statePath, { force: true });
      throw new ChecksumMismatchError(info.sha256, sha256);
    }
    progress.finish();
    await rename(partPath, target);
    await rm(statePath, { force: true });
    await rm(`${statePath}.tmp`, { force: true });
    return { path: target, size, sha256, resumedBytes };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

interface ChunkContext {
  client: Apogee;
  fh: FileHandle;
  progress: ProgressTracker;
  size: number;
  getInfo(): DownloadUrl;
  refreshUrl(stale: DownloadUrl): Promise<DownloadUrl>;
}

/**
 * Fetches bytes `[start, end)` into the file at their offset. Retries (up to the client's
 * `maxRetries`) connection failures, 5xx and streams cut short; a 403 (expired URL) gets one
 * fresh URL.
 */
async function fetchChunk(
  ctx: ChunkContext,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  whole = false,
): Promise<void> {
  const { client, fh, progress } = ctx;
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    const info = ctx.getInfo();
    let written = 0;
    try {
      const res = await client.request<AsyncIterable<Uint8Array>>({
        method: 'GET',
        url: info.url,
        auth: false,
        signal,
        responseType: 'stream',
        // This loop retries, so that a body cut short is retried like a failed request.
        maxRetries: 0,
        headers: whole
          ? { 'Accept-Encoding': 'identity' }
          : { Range: `bytes=${start}-${end - 1}`, 'Accept-Encoding': 'identity' },
      });
      if (!whole && res.status !== 206 && !(start === 0 && end === ctx.size)) {
        destroy(res.data);
        throw new RangeNotSupported('The storage server ignored the Range header');
      }
      let pos = start;
      try {
        for await (const chunk of res.data) {
          if (pos + chunk.length > end) {
            throw new ApogeeError(`The server sent more than the ${end - start} bytes asked for`);
          }
          await fh.write(chunk, 0, chunk.length, pos);
          pos += chunk.length;
          written += chunk.length;
          progress.add(chunk.length);
        }
      } catch (e) {
        destroy(res.data);
        if (e instanceof ApogeeError || signal?.aborted) throw e;
        throw new APIConnectionError(`Download interrupted: ${(e as Error).message}`, { cause: e });
      }
      if (pos !== end)
        throw new APIConnectionError(
          `Connection closed after ${pos - start} of ${end - start} bytes`,
        );
      return;
    } catch (e) {
      progress.add(-written);
      if (signal?.aborted)
        throw e instanceof APIUserAbortError ? e : new APIUserAbortError(undefined, { cause: e });
      if (e instanceof APIError && e.status === 403 && !refreshed) {
        refreshed = true;
        await ctx.refreshUrl(info);
        continue;
      }
      const headers = e instanceof APIError ? e.headers : {};
      const retryable =
        e instanceof APIError
          ? shouldRetry({ kind: 'status', status: e.status, headers }, true)
          : e instanceof APIConnectionError;
      if (!retryable || attempt > client.maxRetries) throw e;
      await sleep(retryDelayMs(attempt, headers), signal);
    }
  }
}

async function loadState(
  statePath: string,
  partPath: string,
  info: DownloadUrl,
  chunkSize: number,
): Promise<Uint8Array | undefined> {
  try {
    const s = JSON.parse(await readFile(statePath, 'utf8')) as PartState;
    const st = await stat(partPath);
    if (s.sha256 !== info.sha256 || s.size !== Number(info.size) || s.chunkSize !== chunkSize)
      return undefined;
    if (st.size !== Number(info.size)) return undefined;
    const bitmap = new Uint8Array(Buffer.from(s.done, 'base64'));
    return bitmap.length === Math.ceil(Math.ceil(s.size / chunkSize) / 8) ? bitmap : undefined;
  } catch {
    // No state (or a corrupt one): download from scratch.
    return undefined;
  }
}

/** `dest` as a file path; an existing directory (or a path ending in `/`) gets the artifact's file name. */
async function resolveDest(dest: string, fileName: string): Promise<string> {
  const safeName = basename(fileName || 'artifact');
  if (dest.endsWith('/') || dest.endsWith('\\')) return join(resolve(dest), safeName);
  const st = await stat(dest).catch(() => undefined);
  return st?.isDirectory() ? join(resolve(dest), safeName) : resolve(dest);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function destroy(stream: unknown): void {
  const s = stream as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof s.destroy === 'function') s.destroy();
  else if (typeof s.cancel === 'function') void s.cancel().catch(() => undefined);
}
