import type { Apogee } from '../client.js';
import {
  APIError,
  ApogeeError,
  ConflictError,
  NotFoundError,
  UnprocessableEntityError,
} from '../core/errors.js';
import { ProgressTracker, type ProgressCallback } from '../core/progress.js';
import type {
  Artifact,
  ArtifactFormat,
  ArtifactType,
  CompletedPart,
  Metrics,
  PresignedPart,
  UploadState,
} from '../types.js';
import type { UploadSource } from './source.js';

/** Default number of parts sent at once. */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;
/** Part requests may run long on slow links; each gets at least this long (10 min). */
const PART_TIMEOUT_MS = 10 * 60_000;

/** Options of `client.artifacts.upload()`. */
export interface UploadOptions {
  /** Artifact name. Default: the file name. */
  name?: string;
  /** File name recorded on the artifact. Default: the path's base name, the File's name, or `blob`. */
  fileName?: string;
  /** MIME type. Default: the Blob's type, else `application/octet-stream` (server side). */
  contentType?: string;
  type?: ArtifactType;
  format?: ArtifactFormat | string;
  description?: string;
  tags?: string[];
  metrics?: Metrics;
  manifest?: Record<string, unknown>;
  /** Progress reports: `hashing`, then `uploading`, then `verifying`. */
  onProgress?: ProgressCallback;
  /** Cancels the upload. An aborted upload stays `pending_upload` and resumes on the next call. */
  signal?: AbortSignal;
  /** Parts uploaded in parallel. Default 4. */
  concurrency?: number;
  /**
   * Preferred part size in bytes. Reserved: the API does not take a hint yet, so its
   * `APOGEE_PART_SIZE` decides and this value is not sent.
   */
  partSize?: number;
  /**
   * Look for an unfinished upload of the same content (same sha256 and size, status
   * `pending_upload`, same collection) and send only its missing parts. Default true.
   */
  resume?: boolean;
  /**
   * Directory of Node resume records (which artifact a file went to, and its cached sha256).
   * Default `~/.apogee/uploads` (or `$APOGEE_HOME/uploads`); `false` keeps none.
   */
  resumeDir?: string | false;
}

/** A small record that lets a later run find an unfinished upload and skip re-hashing. */
export interface ResumeRecord {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  artifactId?: string;
}

/** Where resume records live (a directory of JSON files in Node). */
export interface ResumeStore {
  load(key: string): Promise<ResumeRecord | undefined>;
  save(key: string, record: ResumeRecord): Promise<void>;
  remove(key: string): Promise<void>;
}

/** Everything the upload needs besides the client. */
export interface UploadTarget {
  org: string;
  orbit: string;
  collection: string;
  source: UploadSource;
  store?: ResumeStore;
}

/**
 * Runs the transfer protocol of docs/artifact-transfer.md: hash, find a resumable upload or
 * create the artifact, send the (missing) bytes, complete.
 */
export async function runUpload(
  client: Apogee,
  target: UploadTarget,
  opts: UploadOptions,
): Promise<Artifact> {
  const { org, orbit, collection, source, store } = target;
  const { signal } = opts;
  const progress = new ProgressTracker('hashing', source.size, opts.onProgress);
  const recordKey = source.fingerprint
    ? `${org}/${orbit}/${collection}/${source.fingerprint.path}`
    : undefined;
  const record = recordKey && store ? await store.load(recordKey) : undefined;
  const fp = source.fingerprint;
  const fresh =
    record && fp && record.size === fp.size && record.mtimeMs === fp.mtimeMs ? record : undefined;

  let sha256: string;
  if (fresh) {
    sha256 = fresh.sha256;
    progress.start('hashing', source.size, source.size);
  } else {
    progress.start('hashing', source.size);
    sha256 = await source.sha256((n) => progress.add(n), signal);
    progress.finish();
  }
  const saveRecord = async (artifactId?: string): Promise<void> => {
    if (!recordKey || !store || !fp) return;
    await store.save(recordKey, {
      path: fp.path,
      size: fp.size,
      mtimeMs: fp.mtimeMs,
      sha256,
      artifactId,
    });
  };
  await saveRecord(fresh?.artifactId);

  const name = opts.name ?? opts.fileName ?? source.name;
  const api = client.artifacts;
  let plan: UploadPlan | undefined;
  if (opts.resume !== false) {
    plan = await findResumable(client, target, {
      sha256,
      name,
      candidateId: fresh?.artifactId,
      signal,
    });
  }
  if (!plan) {
    const created = await api.create(
      org,
      orbit,
      collection,
      {
        name,
        fileName: opts.fileName ?? source.name,
        size: source.size,
        sha256,
        contentType: opts.contentType ?? source.contentType,
        type: opts.type,
        format: opts.format,
        description: opts.description,
        tags: opts.tags,
        metrics: opts.metrics,
        manifest: opts.manifest,
      },
      { signal },
    );
    const u = created.upload;
    plan =
      u.mode === 'single'
        ? { artifact: created.artifact, mode: 'single', url: u.url, headers: u.headers, stored: [] }
        : {
            artifact: created.artifact,
            mode: 'multipart',
            partSize: required(u.partSize, 'upload.partSize'),
            partCount: required(u.partCount, 'upload.partCount'),
            stored: [],
          };
  }
  await saveRecord(plan.artifact.id);

  const artifactId = plan.artifact.id;
  let parts: CompletedPart[] | undefined;
  if (plan.mode === 'single') {
    progress.start('uploading', source.size);
    await sendSingle(
      client,
      source,
      required(plan.url, 'upload.url'),
      plan.headers ?? {},
      progress,
      signal,
    );
    progress.finish();
  } else {
    parts = await sendMultipart(client, { org, orbit, artifactId, source, plan, progress, opts });
  }

  progress.start('verifying', source.size);
  let artifact: Artifact;
  try {
    artifact = await completeOnce(client, org, orbit, artifactId, parts, signal);
  } catch (e) {
    // The server read the bytes and they are wrong: this upload can never be resumed.
    if (e instanceof UnprocessableEntityError && recordKey) await store?.remove(recordKey);
    throw e;
  }
  progress.finish();
  if (recordKey && store) await store.remove(recordKey);
  return artifact;
}

interface UploadPlan {
  artifact: Artifact;
  mode: 'single' | 'multipart';
  url?: string;
  headers?: Record<string, string>;
  partSize?: number;
  partCount?: number;
  /** Parts storage already holds. */
  stored: UploadState['parts'];
}

/** Finds a `pending_upload` artifact of this content in the collection, and what it still needs. */
async function findResumable(
  client: Apogee,
  target: UploadTarget,
  q: { sha256: string; name: string; candidateId?: string; signal?: AbortSignal },
): Promise<UploadPlan | undefined> {
  const { org, orbit, collection, source } = target;
  const matches = (a: Artifact): boolean =>
    a.status === 'pending_upload' && a.sha256 === q.sha256 && Number(a.size) === source.size;
  let artifact: Artifact | undefined;
  if (q.candidateId) {
    artifact = await client.artifacts
      .get(org, orbit, q.candidateId, { signal: q.signal })
      .catch(notFoundAsUndefined);
    if (artifact && !matches(artifact)) artifact = undefined;
  }
  if (!artifact) {
    try {
      const page = await client.artifacts.list(org, orbit, {
        collectionId: collection,
        status: 'pending_upload',
        search: q.name,
        limit: 100,
      });
      artifact = page.items.find(matches);
    } catch (e) {
      // A filter this server does not understand must not stop a plain upload.
      if (!(e instanceof APIError) || e.status >= 500 || e.status === 401 || e.status === 403)
        throw e;
    }
  }
  if (!artifact) return undefined;
  const state = await client.artifacts
    .uploadState(org, orbit, artifact.id, { signal: q.signal })
    .catch(notFoundAsUndefined);
  if (!state) return undefined;
  if (state.mode === 'single') {
    if (state.url)
      return { artifact, mode: 'single', url: state.url, headers: state.headers, stored: [] };
    // A single-PUT upload has nothing partial to keep and no fresh URL: start over cleanly.
    await client.artifacts
      .abort(org, orbit, artifact.id, { signal: q.signal })
      .catch(notFoundAsUndefined);
    return undefined;
  }
  return {
    artifact,
    mode: 'multipart',
    partSize: required(state.partSize ?? undefined, 'uploadState.partSize'),
    partCount: required(state.partCount ?? undefined, 'uploadState.partCount'),
    stored: state.parts ?? [],
  };
}

async function sendSingle(
  client: Apogee,
  source: UploadSource,
  url: string,
  headers: Record<string, string>,
  progress: ProgressTracker,
  signal: AbortSignal | undefined,
): Promise<void> {
  let sent = 0;
  await client.request({
    method: 'PUT',
    url,
    auth: false,
    signal,
    timeout: Math.max(client.timeout, PART_TIMEOUT_MS),
    responseType: 'text',
    bodyFactory: () => {
      progress.add(-sent);
      sent = 0;
      return source.body(0, source.size);
    },
    headers,
    onUploadProgress: (e) => {
      progress.add(e.loaded - sent);
      sent = e.loaded;
    },
  });
}

interface MultipartJob {
  org: string;
  orbit: string;
  artifactId: string;
  source: UploadSource;
  plan: UploadPlan;
  progress: ProgressTracker;
  opts: UploadOptions;
}

async function sendMultipart(client: Apogee, job: MultipartJob): Promise<CompletedPart[]> {
  const { org, orbit, artifactId, source, plan, progress, opts } = job;
  const partSize = plan.partSize!;
  const partCount = plan.partCount!;
  const bounds = (n: number): [number, number] => [
    (n - 1) * partSize,
    Math.min(n * partSize, source.size),
  ];
  const done = new Map<number, string>();
  let storedBytes = 0;
  for (const p of plan.stored) {
    const [s, e] = bounds(p.partNumber);
    // A part whose stored size differs (a different part size, a torn write) is sent again.
    if (p.partNumber >= 1 && p.partNumber <= partCount && Number(p.size) === e - s) {
      done.set(p.partNumber, p.etag);
      storedBytes += e - s;
    }
  }
  progress.start('uploading', source.size, storedBytes);
  const missing: number[] = [];
  for (let n = 1; n <= partCount; n++) if (!done.has(n)) missing.push(n);

  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY));
  const batchSize = Math.min(1000, Math.max(concurrency * 8, 64));
  const failed = new AbortController();
  const signal = anySignal(opts.signal, failed.signal);
  for (let i = 0; i < missing.length; i += batchSize) {
    const batch = missing.slice(i, i + batchSize);
    const urls = new Map<number, PresignedPart>();
    for (const p of (await client.artifacts.presignParts(org, orbit, artifactId, batch, { signal }))
      .parts) {
      urls.set(p.partNumber, p);
    }
    const queue = [...batch];
    const worker = async (): Promise<void> => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const [start, end] = bounds(n);
        let part = urls.get(n);
        if (!part || expired(part.expiresAt)) part = await presignOne(client, job, n, signal);
        let etag: string;
        try {
          etag = await sendPart(client, source, part, start, end, progress, signal);
        } catch (e) {
          // Presigned URLs expire (403); one fresh URL, then give up.
          if (!(e instanceof APIError && e.status === 403)) throw e;
          etag = await sendPart(
            client,
            source,
            await presignOne(client, job, n, signal),
            start,
            end,
            progress,
            signal,
          );
        }
        done.set(n, etag);
      }
    };
    const workers = Array.from({ length: Math.min(concurrency, batch.length) }, () =>
      worker().catch((e: unknown) => {
        failed.abort();
        throw e;
      }),
    );
    const results = await Promise.allSettled(workers);
    const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (firstError) throw opts.signal?.aborted ? firstError.reason : pickRootError(results);
  }
  progress.finish();
  const parts = [...done.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([partNumber, etag]) => ({ partNumber, etag }));
  // Browsers hide ETag unless the storage's CORS exposes it; the API can list stored parts itself.
  return parts.every((p) => p.etag) ? parts : [];
}

async function presignOne(
  client: Apogee,
  job: MultipartJob,
  n: number,
  signal: AbortSignal,
): Promise<PresignedPart> {
  const res = await client.artifacts.presignParts(job.org, job.orbit, job.artifactId, [n], {
    signal,
  });
  const part = res.parts.find((p) => p.partNumber === n);
  if (!part) throw new ApogeeError(`The API returned no URL for part ${n}`);
  return part;
}

async function sendPart(
  client: Apogee,
  source: UploadSource,
  part: PresignedPart,
  start: number,
  end: number,
  progress: ProgressTracker,
  signal: AbortSignal,
): Promise<string> {
  let sent = 0;
  const headers: Record<string, string> = { ...part.headers };
  try {
    const res = await client.request<string>({
      method: part.method ?? 'PUT',
      url: part.url,
      auth: false,
      signal,
      timeout: Math.max(client.timeout, PART_TIMEOUT_MS),
      responseType: 'text',
      headers,
      bodyFactory: () => {
        progress.add(-sent);
        sent = 0;
        return source.body(start, end);
      },
      onUploadProgress: (e) => {
        progress.add(e.loaded - sent);
        sent = e.loaded;
      },
    });
    progress.add(end - start - sent);
    return res.headers.etag ?? '';
  } catch (e) {
    progress.add(-sent);
    throw e;
  }
}

async function completeOnce(
  client: Apogee,
  org: string,
  orbit: string,
  artifactId: string,
  parts: CompletedPart[] | undefined,
  signal: AbortSignal | undefined,
): Promise<Artifact> {
  try {
    return await client.artifacts.complete(
      org,
      orbit,
      artifactId,
      parts && parts.length ? parts : undefined,
      {
        signal,
        timeout: Math.max(client.timeout, PART_TIMEOUT_MS),
      },
    );
  } catch (e) {
    // A retried complete whose first attempt went through is answered with a conflict.
    if (e instanceof ConflictError) {
      const a = await client.artifacts.get(org, orbit, artifactId, { signal });
      if (a.status === 'uploaded') return a;
    }
    throw e;
  }
}

function notFoundAsUndefined(e: unknown): undefined {
  if (e instanceof NotFoundError) return undefined;
  throw e;
}

function required<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new ApogeeError(`The API answer lacks ${what}`);
  return v;
}

function expired(expiresAt: string | undefined): boolean {
  if (!expiresAt) return false;
  const t = Date.parse(expiresAt);
  return Number.isFinite(t) && t - Date.now() < 30_000;
}

/** The error that made the other workers stop, rather than the aborts it caused. */
function pickRootError(results: PromiseSettledResult<void>[]): unknown {
  const rejected = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason);
  return (
    rejected.find((e) => !(e instanceof Error && e.name === 'APIUserAbortError')) ?? rejected[0]
  );
}

/** An AbortSignal that aborts when any input does (AbortSignal.any is Node ≥ 20.3 and recent browsers). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => !!s);
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(list);
  const c = new AbortController();
  for (const s of list) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener('abort', () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}
