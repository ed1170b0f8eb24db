import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SatelliteError, ensureError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { int, str, type RawEnv } from '../config/parse.js';
import { PlatformError, type ClaimedTask, type PlatformClient } from './platform-client.js';

/**
 * The model loader (llmariner's loader, as a satellite task handler): for a `load_model` task it
 * fetches a model from Hugging Face (HTTP API), an Ollama registry (manifest + blobs, no `ollama`
 * binary) or a registry artifact, in parallel, resumable (HTTP Range into a per-model work dir)
 * and checksummed (sha256 / LFS oid / blob digest), detects its formats, and uploads every file
 * to the orbit's storage through the artifact upload protocol. A load that loses its lease is
 * resumed by whichever satellite claims it next: files already stored are skipped, and partial
 * downloads on the same host continue where they stopped.
 */

/** Loader settings; each field names its variable, default and unit. */
export interface LoaderConfig {
  /** `HF_ENDPOINT` — the Hugging Face endpoint (API and downloads). Default `https://huggingface.co`. */
  huggingFaceEndpoint: string;
  /** `APOGEE_OLLAMA_REGISTRY` — the Ollama registry. Default `https://registry.ollama.ai`. */
  ollamaRegistry: string;
  /** `APOGEE_LOADER_DIR` — work dir of downloads in progress (kept across restarts for resuming). Default `{dataDir}/loads`. */
  workDir: string;
  /** `APOGEE_LOADER_PARALLEL` — files downloaded at once. Default 4. */
  parallel: number;
  /** `APOGEE_LOADER_PROGRESS_INTERVAL` — between progress reports (which also renew the lease), ms. Default 2000. */
  progressIntervalMs: number;
  /** `APOGEE_TASK_LEASE` — lease asked for on each renewal, ms. Default 30000. */
  leaseMs: number;
}

export function readLoaderConfig(env: RawEnv, dataDir: string): LoaderConfig {
  return {
    huggingFaceEndpoint: str(env, 'HF_ENDPOINT', 'https://huggingface.co').replace(/\/+$/, ''),
    ollamaRegistry: str(env, 'APOGEE_OLLAMA_REGISTRY', 'https://registry.ollama.ai').replace(
      /\/+$/,
      '',
    ),
    workDir: path.resolve(str(env, 'APOGEE_LOADER_DIR', path.join(dataDir, 'loads'))),
    parallel: int(env, 'APOGEE_LOADER_PARALLEL', 4, 1, 64),
    progressIntervalMs: int(env, 'APOGEE_LOADER_PROGRESS_INTERVAL', 2_000, 100, 600_000),
    leaseMs: int(env, 'APOGEE_TASK_LEASE', 30_000, 1_000, 600_000),
  };
}

/** A failure that another attempt cannot fix (no such repo, not a model): the load FAILS at once. */
export class LoadRejected extends SatelliteError {
  constructor(message: string) {
    super('load_rejected', message);
  }
}

interface LoadSpec {
  taskId: string;
  modelId: string;
  source: string;
  location: string;
  revision: string;
  splitGguf: boolean;
  huggingFaceToken: string | null;
  /** Object store sources: the objects with presigned GET URLs, listed by the API. */
  remoteFiles: { path: string; size: number; url: string; sha256: string | null }[] | null;
  storedFiles: { path: string; size: number; sha256: string; uploaded: boolean }[];
}

/** One file of a model to fetch. `sha256` null: unknown upstream, computed while downloading. */
interface RemoteFile {
  path: string;
  size: number;
  url: string;
  sha256: string | null;
  headers: Record<string, string>;
}

interface UploadPlan {
  mode: 'single' | 'multipart';
  url?: string;
  headers?: Record<string, string>;
  partSize?: number;
  partCount?: number;
}

/** Runs `load_model` tasks. Register {@link ModelLoader.handle} with the agent for that task type. */
export class ModelLoader {
  constructor(
    private readonly client: PlatformClient,
    private readonly config: LoaderConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * Loads the model of a claimed `load_model` task and returns the task result; throws
   * {@link LoadRejected} for failures another attempt cannot fix. `progress` receives "downloaded
   * 3/7 files, 1.2 GB of 3.4 GB; uploaded 2/7" messages for the task heartbeats. This is what the
   * agent registers for `load_model` tasks.
   */
  async run(
    task: ClaimedTask,
    signal: AbortSignal,
    progress: (message: string) => void,
  ): Promise<Record<string, unknown>> {
    const p = new Progress();
    const tick = setInterval(
      () => progress(p.text()),
      Math.min(this.config.progressIntervalMs, 1_000),
    );
    try {
      return await this.load(task, signal, p);
    } finally {
      clearInterval(tick);
      progress(p.text());
    }
  }

  /**
   * Runs one claimed task to its end and reports it (complete, or fail with the reason; retryable
   * unless {@link LoadRejected}), renewing the lease meanwhile. When `signal` aborts (lease lost,
   * kill) it stops without reporting: the lease runs out and the load resumes elsewhere.
   */
  async handle(task: ClaimedTask, signal: AbortSignal): Promise<void> {
    const own = new AbortController();
    const stop = AbortSignal.any([signal, own.signal]);
    let message: string | undefined;
    const beat = setInterval(() => {
      this.client.taskHeartbeat(task.id, this.config.leaseMs, message).catch((e: unknown) => {
        // Someone else holds the task now: stop working on it.
        if (e instanceof PlatformError && (e.status === 409 || e.status === 404))
          own.abort(new Error('lease lost'));
        else this.log.warn('load heartbeat failed', { task: task.id, err: ensureError(e) });
      });
    }, this.config.progressIntervalMs);
    try {
      const result = await this.run(task, stop, (m) => (message = m));
      if (stop.aborted) return;
      await this.client.complete(task.id, result);
    } catch (e) {
      if (stop.aborted) return;
      const err = ensureError(e);
      this.log.warn('load failed', { task: task.id, err });
      // A refusal of the API (bad bucket, gone backend) will not change by trying again either.
      const retryable =
        !(err instanceof LoadRejected) && !(err instanceof PlatformError && !err.transient);
      await this.client
        .fail(task.id, err.message, retryable)
        .catch((x: unknown) =>
          this.log.warn('reporting a failed load failed', { err: ensureError(x) }),
        );
    } finally {
      clearInterval(beat);
    }
  }

  private async load(
    task: ClaimedTask,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<Record<string, unknown>> {
    const spec = await this.client.request<LoadSpec>(
      'GET',
      `/satellites/v1/model-loads/${task.id}`,
      undefined,
      { signal },
    );
    const files = await this.listFiles(spec, signal);
    const dir = path.join(
      this.config.workDir,
      createHash('sha256')
        .update(`${spec.source}\u0000${spec.location}\u0000${spec.revision}`)
        .digest('hex')
        .slice(0, 32),
    );
    await fs.mkdir(dir, { recursive: true });
    const formats = detectFormats(files.map((f) => f.path));
    const stored = new Map(spec.storedFiles.filter((f) => f.uploaded).map((f) => [f.path, f]));
    progress.start(files);

    // Download (parallel) and upload each file as soon as it is complete and verified.
    await pool(files, this.config.parallel, async (f) => {
      const done = stored.get(f.path);
      if (done && (!f.sha256 || done.sha256 === f.sha256) && done.size === f.size) {
        progress.skipped(f);
        return;
      }
      const local = path.join(dir, f.path);
      const sha256 = await this.download(f, local, signal, (n) => progress.bytes(n));
      if (f.path.toLowerCase().endsWith('.gguf')) await assertGguf(local, f.path);
      progress.downloaded();
      await this.upload(task.id, f.path, local, f.size, sha256, signal);
      progress.uploaded();
    });
    await fs.rm(dir, { recursive: true, force: true });
    const ggufFiles = files.map((f) => f.path).filter((p) => p.toLowerCase().endsWith('.gguf'));
    const primaryPath =
      ggufFiles[0] ?? files.find((f) => f.path.toLowerCase().endsWith('.onnx'))?.path ?? null;
    return {
      formats,
      primaryPath,
      ggufFiles,
      files: files.length,
      bytes: progress.totalBytes,
      summary: `loaded ${files.length} file(s), ${human(progress.totalBytes)}`,
    };
  }

  /* ---------------- sources ---------------- */

  private async listFiles(spec: LoadSpec, signal: AbortSignal): Promise<RemoteFile[]> {
    switch (spec.source) {
      case 'hugging_face':
        return this.huggingFaceFiles(spec, signal);
      case 'ollama':
        return this.ollamaFiles(spec, signal);
      case 'object_store':
        if (!spec.remoteFiles?.length) throw new LoadRejected(`No objects under ${spec.location}/`);
        return spec.remoteFiles.map((f) => ({ ...f, headers: {} }));
      default:
        throw new LoadRejected(`This loader cannot load from ${spec.source}`);
    }
  }

  /** Hugging Face: `/api/models/{repo}/revision/{rev}?blobs=true` lists files with sizes and LFS sha256. */
  private async huggingFaceFiles(spec: LoadSpec, signal: AbortSignal): Promise<RemoteFile[]> {
    const parts = spec.location.split('/');
    const repo = parts.slice(0, 2).join('/');
    const file = parts.slice(2).join('/') || null;
    const ep = this.config.huggingFaceEndpoint;
    const headers: Record<string, string> = spec.huggingFaceToken
      ? { authorization: `Bearer ${spec.huggingFaceToken}` }
      : {};
    const rev = encodeURIComponent(spec.revision);
    const res = await fetchOrThrow(
      `${ep}/api/models/${repo}/revision/${rev}?blobs=true`,
      { headers, signal },
      `Hugging Face (${ep})`,
    );
    if (res.status === 404)
      throw new LoadRejected(
        `Hugging Face repository ${repo} (revision ${spec.revision}) does not exist`,
      );
    if (res.status === 401 || res.status === 403)
      throw new LoadRejected(
        `Hugging Face refused access to ${repo} (${res.status}): a gated or private repository needs a token (tokenSecret)`,
      );
    if (!res.ok) throw new Error(`Hugging Face answered ${res.status} for ${repo}`);
    const info = (await res.json()) as {
      siblings?: {
        rfilename: string;
        size?: number;
        lfs?: { sha256?: string; oid?: string; size?: number };
      }[];
    };
    let siblings = (info.siblings ?? []).filter(
      (s) => !s.rfilename.startsWith('.') && !s.rfilename.includes('/.'),
    );
    if (file) {
      siblings = siblings.filter((s) => s.rfilename === file);
      if (!siblings.length)
        throw new LoadRejected(`${file} is not a file of ${repo} (revision ${spec.revision})`);
    }
    if (!siblings.length) throw new LoadRejected(`Hugging Face repository ${repo} has no files`);
    return siblings.map((s) => ({
      path: s.rfilename,
      size: s.lfs?.size ?? s.size ?? -1,
      url: `${ep}/${repo}/resolve/${rev}/${s.rfilename.split('/').map(encodeURIComponent).join('/')}`,
      sha256: (s.lfs?.sha256 ?? s.lfs?.oid ?? null)?.toLowerCase() ?? null,
      headers,
    }));
  }

  /** Ollama: the registry manifest (`/v2/{ns}/{name}/manifests/{tag}`) lists layers; each is a blob by digest. */
  private async ollamaFiles(spec: LoadSpec, signal: AbortSignal): Promise<RemoteFile[]> {
    const [nameWithNs, tag] = [
      spec.location.slice(0, spec.location.lastIndexOf(':')),
      spec.location.slice(spec.location.lastIndexOf(':') + 1),
    ];
    const repo = nameWithNs.includes('/') ? nameWithNs : `library/${nameWithNs}`;
    const reg = this.config.ollamaRegistry;
    const res = await fetchOrThrow(
      `${reg}/v2/${repo}/manifests/${encodeURIComponent(tag)}`,
      { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' }, signal },
      `the Ollama registry (${reg})`,
    );
    if (res.status === 404)
      throw new LoadRejected(`Ollama model ${spec.location} does not exist in ${reg}`);
    if (!res.ok) throw new Error(`The Ollama registry answered ${res.status} for ${spec.location}`);
    const text = await res.text();
    const manifest = JSON.parse(text) as {
      layers?: { mediaType: string; digest: string; size: number }[];
      config?: { digest: string; size: number };
    };
    const layers = manifest.layers ?? [];
    if (!layers.some((l) => l.mediaType === 'application/vnd.ollama.image.model'))
      throw new LoadRejected(`Ollama manifest of ${spec.location} has no model layer`);
    const files: RemoteFile[] = layers.map((l) => ({
      path:
        l.mediaType === 'application/vnd.ollama.image.model'
          ? 'model.gguf'
          : `blobs/${l.digest.replace(':', '-')}`,
      size: l.size,
      url: `${reg}/v2/${repo}/blobs/${l.digest}`,
      sha256: l.digest.startsWith('sha256:') ? l.digest.slice(7) : null,
      headers: {},
    }));
    // The manifest itself, so the model can be served by an Ollama runtime as it was published.
    files.push({
      path: 'manifest.json',
      size: Buffer.byteLength(text),
      url: `data:application/json;base64,${Buffer.from(text).toString('base64')}`,
      sha256: createHash('sha256').update(text).digest('hex'),
      headers: {},
    });
    return files;
  }

  /* ---------------- transfer ---------------- */

  /** Downloads (resuming a partial file with Range) and verifies; returns the file's sha256. */
  private async download(
    f: RemoteFile,
    local: string,
    signal: AbortSignal,
    onBytes: (n: number) => void,
  ): Promise<string> {
    await fs.mkdir(path.dirname(local), { recursive: true });
    const whole = await fs.stat(local).catch(() => null);
    // Downloaded and verified by an earlier attempt on this host, but not yet uploaded.
    if (whole && whole.size === f.size) await fs.rename(local, `${local}.part`);
    const part = `${local}.part`;
    let have = (await fs.stat(part).catch(() => null))?.size ?? 0;
    if (f.size >= 0 && have > f.size) {
      await fs.rm(part, { force: true });
      have = 0;
    }
    if (f.size < 0 || have < f.size) {
      const headers: Record<string, string> = {
        ...f.headers,
        ...(have > 0 ? { range: `bytes=${have}-` } : {}),
      };
      const res = await fetchOrThrow(
        f.url,
        { headers, signal, redirect: 'follow' },
        f.url.startsWith('data:') ? 'the manifest' : new URL(f.url).origin,
      );
      if (res.status === 404) throw new LoadRejected(`${f.path} is missing upstream (404)`);
      if (!res.ok || !res.body) throw new Error(`Downloading ${f.path} failed with ${res.status}`);
      const resumed = res.status === 206;
      if (!resumed) have = 0;
      onBytes(have);
      const counter = new TransformCounter(onBytes);
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        counter,
        createWriteStream(part, { flags: resumed ? 'a' : 'w' }),
        { signal },
      );
    } else {
      onBytes(have);
    }
    const hash = createHash('sha256');
    await pipeline(createReadStream(part), hash);
    const sha = hash.digest('hex');
    const size = (await fs.stat(part)).size;
    if ((f.size >= 0 && size !== f.size) || (f.sha256 && sha !== f.sha256)) {
      await fs.rm(part, { force: true });
      throw new Error(
        `${f.path} failed verification (size ${size}, expected ${f.size}; sha256 ${sha.slice(0, 12)}…, expected ${f.sha256?.slice(0, 12) ?? 'any'}…); it will be downloaded again`,
      );
    }
    await fs.rename(part, local);
    return sha;
  }

  /** Uploads one verified file through the artifact protocol (single PUT or multipart). */
  private async upload(
    taskId: string,
    rel: string,
    local: string,
    size: number,
    sha256: string,
    signal: AbortSignal,
  ): Promise<void> {
    const realSize = (await fs.stat(local)).size;
    const base = `/satellites/v1/model-loads/${taskId}/files`;
    const r = await this.client.request<{
      done: boolean;
      artifactId?: string;
      upload?: UploadPlan;
    }>('POST', base, { path: rel, size: size >= 0 ? size : realSize, sha256 }, { signal });
    if (r.done) return;
    const plan = r.upload!;
    const id = r.artifactId!;
    let parts: { partNumber: number; etag: string }[] | undefined;
    if (plan.mode === 'single') {
      await putBytes(plan.url!, plan.headers ?? {}, local, 0, realSize, signal);
    } else {
      parts = [];
      const count = plan.partCount!;
      const numbers = Array.from({ length: count }, (_, i) => i + 1);
      for (let i = 0; i < numbers.length; i += 100) {
        const batch = numbers.slice(i, i + 100);
        const signed = await this.client.request<{
          parts: { partNumber: number; url: string; headers: Record<string, string> }[];
        }>('POST', `${base}/${id}/parts`, { partNumbers: batch }, { signal });
        await pool(signed.parts, 4, async (p) => {
          const start = (p.partNumber - 1) * plan.partSize!;
          const end = Math.min(start + plan.partSize!, realSize);
          const etag = await putBytes(p.url, p.headers, local, start, end - start, signal);
          parts!.push({ partNumber: p.partNumber, etag });
        });
      }
      parts.sort((a, b) => a.partNumber - b.partNumber);
    }
    await this.client.request('POST', `${base}/${id}/complete`, parts ? { parts } : {}, {
      signal,
      timeoutMs: 600_000,
    });
  }
}

async function putBytes(
  url: string,
  headers: Record<string, string>,
  file: string,
  start: number,
  length: number,
  signal: AbortSignal,
): Promise<string> {
  const body = length
    ? (Readable.toWeb(
        createReadStream(file, { start, end: start + length - 1 }),
      ) as unknown as RequestInit['body'])
    : new Uint8Array();
  const res = await fetch(url, {
    method: 'PUT',
    headers: { ...headers, 'content-length': String(length) },
    body,
    signal,
    duplex: 'half',
  } as RequestInit);
  if (!res.ok)
    throw new Error(
      `Uploading to storage failed with ${res.status}: ${(await res.text()).slice(0, 200)}`,
    );
  await res.arrayBuffer().catch(() => undefined);
  return res.headers.get('etag') ?? '';
}

async function fetchOrThrow(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (init.signal?.aborted) throw ensureError(init.signal.reason);
    throw new Error(`${what} cannot be reached: ${ensureError(e).message}`);
  }
}

/** The GGUF magic; a `.gguf` that is something else is not a model. */
async function assertGguf(file: string, rel: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, 0);
    if (buf.toString('latin1') !== 'GGUF')
      throw new LoadRejected(`${rel} is not a GGUF file (bad magic)`);
  } finally {
    await fh.close();
  }
}

/**
 * Formats of a model from its file list (llmariner's detection): Ollama (manifest + blobs),
 * Hugging Face (`config.json` / `adapter_config.json`), Triton (`config.pbtxt`), GGUF, ONNX.
 * Nothing recognisable is a rejection; several GGUF files beside another format are ambiguous.
 */
export function detectFormats(paths: string[]): string[] {
  const names = paths.map((p) => p.split('/').pop()!.toLowerCase());
  const formats: string[] = [];
  if (paths.includes('manifest.json') && paths.some((p) => p.startsWith('blobs/')))
    formats.push('ollama');
  if (names.includes('config.json') || names.includes('adapter_config.json'))
    formats.push('hugging-face');
  if (paths.some((p) => /(^|\/)(tensorrt_llm\/)?config\.pbtxt$/i.test(p))) formats.push('triton');
  const ggufs = names.filter((n) => n.endsWith('.gguf'));
  if (ggufs.length) formats.push('gguf');
  if (names.some((n) => n.endsWith('.onnx'))) formats.push('onnx');
  if (!formats.length) {
    const seen = paths.slice(0, 8).join(', ');
    throw new LoadRejected(
      `No model found: expected GGUF, ONNX, Hugging Face (config.json), Ollama or Triton files; found ${seen || 'no files'}`,
    );
  }
  if (ggufs.length > 1 && formats.some((f) => f !== 'gguf'))
    throw new LoadRejected(
      `Several GGUF files together with ${formats.filter((f) => f !== 'gguf').join(', ')} files: load one GGUF file (org/repo/file.gguf)`,
    );
  return formats;
}

class Progress {
  private files = 0;
  totalBytes = 0;
  private downloadedFiles = 0;
  private uploadedFiles = 0;
  private bytesDone = 0;

  start(files: RemoteFile[]): void {
    this.files = files.length;
    this.totalBytes = files.reduce((s, f) => s + Math.max(f.size, 0), 0);
  }
  bytes(n: number): void {
    this.bytesDone += n;
  }
  skipped(f: RemoteFile): void {
    this.downloadedFiles++;
    this.uploadedFiles++;
    this.bytesDone += Math.max(f.size, 0);
  }
  downloaded(): void {
    this.downloadedFiles++;
  }
  uploaded(): void {
    this.uploadedFiles++;
  }
  text(): string {
    return `downloaded ${this.downloadedFiles}/${this.files} files, ${human(Math.min(this.bytesDone, this.totalBytes || this.bytesDone))} of ${human(this.totalBytes)}; uploaded ${this.uploadedFiles}/${this.files}`;
  }
}

class TransformCounter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * A claim loop for `load_model` tasks only, for a satellite that runs the loader without the full
 * agent (and for tests). The agent registers {@link ModelLoader.handle} instead.
 */
export class LoaderWorker {
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly client: PlatformClient,
    private readonly loader: ModelLoader,
    private readonly opts: { leaseMs: number; claimWaitMs?: number; log?: Logger } = {
      leaseMs: 30_000,
    },
  ) {}

  start(): void {
    this.running = this.loop();
  }

  /** Stops at once, reporting nothing: what a crash looks like to the platform. */
  async kill(): Promise<void> {
    this.abort.abort(new Error('killed'));
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const r = await this.client.request<{ task: ClaimedTask | null }>(
          'POST',
          '/satellites/v1/tasks/claim',
          {
            waitMs: this.opts.claimWaitMs ?? 5_000,
            leaseMs: this.opts.leaseMs,
            types: ['load_model'],
          },
          { signal, timeoutMs: 40_000 },
        );
        if (r.task) await this.loader.handle(r.task, signal);
      } catch (e) {
        if (signal.aborted) return;
        (this.opts.log ?? silentLogger).warn('loader claim failed', { err: ensureError(e) });
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  }
}
