import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Artifact } from '../types.js';
import { apiError, json, startServer, type SeenRequest, type TestServer } from './server.js';

interface Stored {
  artifact: Artifact;
  mode: 'single' | 'multipart';
  partSize: number;
  partCount: number;
  /** partNumber → etag; bytes live in `<dir>/<id>.<partNumber>` (`.0` for single). */
  parts: Map<number, { size: number; etag: string }>;
}

/** Knobs a test turns to make the fake misbehave. */
export interface FakeOptions {
  /** Files larger than this go multipart. Default 1 MiB. */
  multipartThreshold?: number;
  /** Part size of multipart uploads. Default 256 KiB. */
  partSize?: number;
  /** Answer storage PUTs of these part numbers with 500, once each. */
  failPartsOnce?: number[];
  /** Cut the connection of storage PUTs of these part numbers, every time (simulates a crash). */
  breakParts?: number[];
  /** Answer Range GETs for offsets ≥ this with a cut connection, while set. */
  breakDownloadsFrom?: number;
  /** Serve downloads ignoring Range (always 200, whole body). */
  ignoreRange?: boolean;
  /** Corrupt the downloaded bytes (flip the first byte). */
  corruptDownload?: boolean;
  /** Answers other routes first; return true when it handled the request. */
  extra?: (req: SeenRequest, res: ServerResponse) => boolean;
}

/**
 * A small in-test implementation of the artifact transfer protocol (docs/artifact-transfer.md):
 * creates artifacts, presigns part URLs it serves itself, stores parts in a temp directory,
 * verifies sha256 on complete, and serves downloads with Range.
 */
export class FakeTransferApi {
  readonly artifacts = new Map<string, Stored>();
  server!: TestServer;
  dir!: string;
  /** The organization/orbit ids every route expects. */
  readonly org = 'org-1';
  readonly orbit = 'orbit-1';
  readonly collection = 'col-1';
  private failedOnce = new Set<number>();

  constructor(public options: FakeOptions = {}) {}

  async start(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'apogee-fake-'));
    this.server = await startServer((req, res) => this.handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  get url(): string {
    return this.server.url;
  }

  /** Requests to storage URLs (the presigned ones). */
  storageRequests(method?: string): SeenRequest[] {
    return this.server.requests.filter(
      (r) => r.path.startsWith('/storage/') && (!method || r.method === method),
    );
  }

  /** Adds an uploaded artifact with `content`, for download tests. */
  async seedArtifact(content: Buffer, sha256?: string): Promise<Artifact> {
    const id = randomUUID();
    const artifact = this.newArtifact(id, {
      name: 'seeded',
      fileName: 'model.bin',
      size: content.length,
      sha256: sha256 ?? sha(content),
    });
    artifact.status = 'uploaded';
    await writeFile(join(this.dir, `${id}.0`), content);
    this.artifacts.set(id, {
      artifact,
      mode: 'single',
      partSize: content.length,
      partCount: 1,
      parts: new Map([[0, { size: content.length, etag: 'x' }]]),
    });
    return artifact;
  }

  private async handle(req: SeenRequest, res: ServerResponse): Promise<void> {
    const base = `/v1/organizations/${this.org}/orbits/${this.orbit}`;
    let m: RegExpExecArray | null;
    if (this.options.extra?.(req, res)) return;
    if (req.path.startsWith('/storage/')) return this.storage(req, res);
    if (req.method === 'POST' && req.path === `${base}/collections/${this.collection}/artifacts`)
      return this.create(req, res);
    if (req.method === 'GET' && req.path === `${base}/artifacts`) return this.list(req, res);
    if ((m = new RegExp(`^${base}/artifacts/([^/]+)(/.*)?$`).exec(req.path))) {
      const stored = this.artifacts.get(m[1]!);
      if (!stored) return apiError(res, 404, 'artifact_not_found', 'Artifact not found');
      const rest = m[2] ?? '';
      const key = `${req.method} ${rest}`;
      switch (key) {
        case 'GET ':
          return json(res, 200, stored.artifact);
        case 'GET /upload':
          return json(res, 200, {
            mode: stored.mode,
            uploadId: stored.mode === 'multipart' ? `up-${stored.artifact.id}` : null,
            partSize: stored.partSize,
            partCount: stored.partCount,
            parts: [...stored.parts.entries()]
              .filter(([n]) => n > 0)
              .map(([partNumber, p]) => ({ partNumber, ...p })),
          });
        case 'POST /upload/parts': {
          const { partNumbers } = JSON.parse(req.body.toString()) as { partNumbers: number[] };
          return json(res, 200, {
            parts: partNumbers.map((n) => ({
              partNumber: n,
              method: 'PUT',
              url: `${this.url}/storage/${stored.artifact.id}/${n}?sig=ok`,
              headers: { 'x-fake-sig': 'ok' },
              expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            })),
          });
        }
        case 'POST /complete':
          return this.complete(stored, req, res);
        case 'POST /abort':
          stored.artifact.status = 'upload_failed';
          return json(res, 200, stored.artifact);
        case 'GET /download-url':
          return json(res, 200, {
            url: `${this.url}/storage/${stored.artifact.id}/0?sig=ok`,
            expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            size: stored.artifact.size,
            sha256: stored.artifact.sha256,
            fileName: stored.artifact.fileName,
          });
      }
    }
    return apiError(res, 404, 'not_found', `No route ${req.method} ${req.path}`);
  }

  private create(req: SeenRequest, res: ServerResponse): void {
    const body = JSON.parse(req.body.toString()) as Partial<Artifact> & { size: number };
    const id = randomUUID();
    const artifact = this.newArtifact(id, body);
    const threshold = this.options.multipartThreshold ?? 1024 * 1024;
    const multipart = body.size > threshold;
    const partSize = multipart ? (this.options.partSize ?? 256 * 1024) : body.size;
    const partCount = multipart ? Math.ceil(body.size / partSize) : 1;
    this.artifacts.set(id, {
      artifact,
      mode: multipart ? 'multipart' : 'single',
      partSize,
      partCount,
      parts: new Map(),
    });
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    json(res, 201, {
      artifact,
      upload: multipart
        ? { mode: 'multipart', uploadId: `up-${id}`, partSize, partCount, expiresAt }
        : {
            mode: 'single',
            url: `${this.url}/storage/${id}/0?sig=ok`,
            headers: { 'x-fake-sig': 'ok' },
            expiresAt,
          },
    });
  }

  private list(req: SeenRequest, res: ServerResponse): void {
    const q = req.query;
    const items = [...this.artifacts.values()]
      .map((s) => s.artifact)
      .filter((a) => !q.get('status') || a.status === q.get('status'))
      .filter((a) => !q.get('collectionId') || a.collectionId === q.get('collectionId'))
      .filter((a) => !q.get('search') || a.name.includes(q.get('search')!));
    json(res, 200, { items, nextCursor: null });
  }

  private async complete(stored: Stored, req: SeenRequest, res: ServerResponse): Promise<void> {
    const body = req.body.length
      ? (JSON.parse(req.body.toString()) as { parts?: { partNumber: number; etag: string }[] })
      : {};
    const numbers =
      stored.mode === 'single' ? [0] : Array.from({ length: stored.partCount }, (_, i) => i + 1);
    for (const p of body.parts ?? []) {
      if (stored.parts.get(p.partNumber)?.etag !== p.etag)
        return apiError(res, 400, 'bad_etag', `Part ${p.partNumber} etag mismatch`);
    }
    const h = createHash('sha256');
    let size = 0;
    for (const n of numbers) {
      if (!stored.parts.has(n)) return apiError(res, 409, 'upload_incomplete', `Part ${n} missing`);
      const bytes = await readFile(join(this.dir, `${stored.artifact.id}.${n}`));
      h.update(bytes);
      size += bytes.length;
    }
    if (h.digest('hex') !== stored.artifact.sha256 || size !== stored.artifact.size) {
      stored.artifact.status = 'upload_failed';
      return apiError(res, 422, 'upload_verification_failed', 'sha256 or size mismatch');
    }
    stored.artifact.status = 'uploaded';
    json(res, 200, stored.artifact);
  }

  private async storage(req: SeenRequest, res: ServerResponse): Promise<void> {
    const [, , id, partStr] = req.path.split('/');
    const stored = this.artifacts.get(id!);
    const n = Number(partStr);
    if (!stored || req.query.get('sig') !== 'ok')
      return void res.writeHead(403).end('<Error>Forbidden</Error>');
    if (req.method === 'PUT') {
      if (this.options.breakParts?.includes(n)) return void res.socket?.destroy();
      if (this.options.failPartsOnce?.includes(n) && !this.failedOnce.has(n)) {
        this.failedOnce.add(n);
        return void res.writeHead(500, { 'Retry-After': '0' }).end('<Error>InternalError</Error>');
      }
      await writeFile(join(this.dir, `${id}.${n}`), req.body);
      const etag = `"${createHash('md5').update(req.body).digest('hex')}"`;
      stored.parts.set(n, { size: req.body.length, etag });
      res.writeHead(200, { ETag: etag });
      return void res.end();
    }
    if (req.method === 'GET') {
      let bytes = await readFile(join(this.dir, `${id}.0`));
      if (this.options.corruptDownload) {
        bytes = Buffer.from(bytes);
        bytes[0] = bytes[0]! ^ 0xff;
      }
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!range || this.options.ignoreRange) {
        res.writeHead(200, { 'Content-Length': bytes.length });
        return void res.end(bytes);
      }
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), bytes.length - 1);
      if (
        this.options.breakDownloadsFrom !== undefined &&
        start >= this.options.breakDownloadsFrom
      ) {
        return void res.socket?.destroy();
      }
      res.writeHead(206, {
        'Content-Length': end - start + 1,
        'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
      });
      return void res.end(bytes.subarray(start, end + 1));
    }
    res.writeHead(405).end();
  }

  private newArtifact(id: string, body: Partial<Artifact> & { size: number }): Artifact {
    const now = new Date().toISOString();
    return {
      id,
      organizationId: this.org,
      orbitId: this.orbit,
      collectionId: this.collection,
      name: body.name ?? 'unnamed',
      description: body.description ?? '',
      type: body.type ?? 'model',
      format: body.format ?? 'other',
      fileName: body.fileName ?? 'file',
      contentType: body.contentType ?? 'application/octet-stream',
      size: body.size,
      sha256: body.sha256 ?? '',
      status: 'pending_upload',
      manifest: {},
      metrics: body.metrics ?? {},
      tags: body.tags ?? [],
      createdAt: now,
      updatedAt: now,
    };
  }
}

/** Hex sha256 of a buffer. */
export function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Deterministic pseudo-random bytes (so failures reproduce). */
export function bytes(n: number, seed = 1): Buffer<ArrayBuffer> {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
