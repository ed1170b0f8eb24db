import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { ensureError } from '../common/errors.js';
import { PROBE_BODY, probeKey, runConnectionChecks } from './connection-checks.js';
import type {
  ByteRange,
  ConnectionCheck,
  SignedRequest,
  StorageDriver,
  StoredPart,
} from './storage-driver.js';
import {
  SignedUrlExpired,
  SignedUrlInvalid,
  StorageObjectNotFound,
  StoragePartsInvalid,
  StorageUnreachable,
  StorageUploadNotFound,
  UploadSizeMismatch,
} from './storage-errors.js';

/** The one operation a local signed URL allows. Short field names keep URLs short. */
export interface LocalGrant {
  /** storage backend id */
  b: string;
  /** object key */
  k: string;
  op: 'put' | 'part' | 'get';
  /** multipart upload id (op `part`) */
  u?: string;
  /** part number, 1-based (op `part`) */
  n?: number;
  /** exact body size, bytes (op `put`/`part`) */
  s?: number;
  /** file name for Content-Disposition (op `get`) */
  f?: string;
  /** expiry, seconds since the epoch */
  e: number;
}

/** HMAC-SHA256 signed, expiring grants: `<base64url json>.<base64url mac>`. The token is the credential. */
export class LocalUrlSigner {
  constructor(private readonly key: Buffer) {}

  sign(grant: LocalGrant): string {
    const body = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string, now = Date.now()): LocalGrant {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) throw new SignedUrlInvalid();
    const expected = Buffer.from(this.mac(body), 'base64url');
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== expected.length || !timingSafeEqual(got, expected))
      throw new SignedUrlInvalid();
    let grant: LocalGrant;
    try {
      grant = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LocalGrant;
    } catch {
      throw new SignedUrlInvalid();
    }
    if (typeof grant.e !== 'number' || grant.e * 1000 < now) throw new SignedUrlExpired();
    return grant;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,1023}$/;
const UPLOAD_ID = /^[a-f0-9]{32}$/;

/**
 * The embedded local-disk store under `{storageDir}/{backendId}/`: objects in `objects/`,
 * unfinished multipart uploads in `uploads/{uploadId}/` (one file per part, joined with streams on
 * complete), in-flight writes in `tmp/` (renamed into place only once whole). Bytes only ever
 * stream between sockets and files; no object is held in memory.
 */
export class LocalDriver implements StorageDriver {
  readonly kind = 'local' as const;

  constructor(
    readonly backendId: string,
    private readonly root: string,
    private readonly signer: LocalUrlSigner,
    private readonly publicUrl: () => string,
  ) {}

  async signPut(
    key: string,
    opts: { size: number; contentType: string; ttlSec: number },
  ): Promise<SignedRequest> {
    this.objectPath(key);
    return this.signed('PUT', {
      b: this.backendId,
      k: key,
      op: 'put',
      s: opts.size,
      e: expiry(opts.ttlSec),
    });
  }

  async createMultipart(key: string): Promise<string> {
    this.objectPath(key);
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.uploadDir(uploadId);
    await this.io(() => fsp.mkdir(dir, { recursive: true }));
    await this.io(() => fsp.writeFile(path.join(dir, 'upload.json'), JSON.stringify({ key })));
    return uploadId;
  }

  async signPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; ttlSec: number },
  ): Promise<SignedRequest> {
    await this.assertUpload(key, uploadId);
    return this.signed('PUT', {
      b: this.backendId,
      k: key,
      op: 'part',
      u: uploadId,
      n: partNumber,
      s: opts.size,
      e: expiry(opts.ttlSec),
    });
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const dir = await this.assertUpload(key, uploadId);
    const names = await this.io(() => fsp.readdir(dir));
    const parts: StoredPart[] = [];
    for (const name of names) {
      const m = /^(\d+)\.part$/.exec(name);
      if (!m) continue;
      const partNumber = Number(m[1]);
      try {
        const [st, etag] = await Promise.all([
          fsp.stat(path.join(dir, name)),
          fsp.readFile(path.join(dir, `${partNumber}.etag`), 'utf8'),
        ]);
        parts.push({ partNumber, size: st.size, etag });
      } catch (e) {
        // A part being replaced concurrently: its etag appears right after the data; skip it this time.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new StorageUnreachable(`Cannot read part ${partNumber}: ${ensureError(e).message}`);
      }
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    const dir = await this.assertUpload(key, uploadId);
    const stored = new Map((await this.listParts(key, uploadId)).map((p) => [p.partNumber, p]));
    if (!parts.length) throw new StoragePartsInvalid('No parts to complete the upload with');
    let prev = 0;
    for (const p of parts) {
      if (p.partNumber <= prev)
        throw new StoragePartsInvalid('Parts must be listed in ascending order without duplicates');
      prev = p.partNumber;
      const s = stored.get(p.partNumber);
      if (!s) throw new StoragePartsInvalid(`Part ${p.partNumber} has not been uploaded`);
      if (unquote(s.etag) !== unquote(p.etag))
        throw new StoragePartsInvalid(`Part ${p.partNumber}'s etag does not match the stored part`);
    }
    const tmp = await this.tmpPath();
    try {
      const out = fs.createWriteStream(tmp);
      let failure: Error | undefined;
      out.on('error', (e) => (failure = e));
      try {
        for (const p of parts) {
          for await (const chunk of fs.createReadStream(path.join(dir, `${p.partNumber}.part`), {
            highWaterMark: 1024 * 1024,
          })) {
            if (failure) throw failure;
            if (!out.write(chunk)) await once(out, 'drain');
          }
        }
        out.end();
        await finished(out);
      } catch (e) {
        out.destroy();
        throw e;
      }
      const dest = this.objectPath(key);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw new StorageUnreachable(
        `Could not assemble upload ${uploadId}: ${ensureError(e).message}`,
      );
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    if (!UPLOAD_ID.test(uploadId)) throw new StorageUploadNotFound(uploadId);
    await this.io(() => fsp.rm(this.uploadDir(uploadId), { recursive: true, force: true }));
  }

  async signGet(key: string, opts: { ttlSec: number; fileName?: string }): Promise<SignedRequest> {
    this.objectPath(key);
    const grant: LocalGrant = { b: this.backendId, k: key, op: 'get', e: expiry(opts.ttlSec) };
    if (opts.fileName) grant.f = opts.fileName;
    return this.signed('GET', grant);
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const st = await fsp.stat(this.objectPath(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageUnreachable(ensureError(e).message);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.objectPath(key);
    const handle = await fsp.open(file, 'r').catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageObjectNotFound(key);
      throw new StorageUnreachable(ensureError(e).message);
    });
    return handle.createReadStream(
      range ? { start: range.start, end: range.end, autoClose: true } : { autoClose: true },
    );
  }

  async delete(key: string): Promise<void> {
    await this.io(() => fsp.rm(this.objectPath(key), { force: true }));
  }

  async testConnection(): Promise<ConnectionCheck[]> {
    const file = path.join(this.root, probeKey());
    return runConnectionChecks({
      list: async () => {
        await fsp.mkdir(this.root, { recursive: true });
        await fsp.readdir(this.root);
      },
      write: async () => {
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await fsp.writeFile(file, PROBE_BODY);
      },
      read: async () => {
        if ((await fsp.readFile(file, 'utf8')) !== PROBE_BODY)
          throw new Error('read back different bytes');
      },
      delete: () => fsp.rm(file),
    });
  }

  /**
   * Streams a signed PUT body to disk, enforcing the signed size, and returns the body's etag
   * (MD5, like S3). The file lands at its final path only when complete.
   */
  async receive(grant: LocalGrant, body: Readable): Promise<{ etag: string; size: number }> {
    const expected = grant.s ?? 0;
    let dest: string;
    if (grant.op === 'put') dest = this.objectPath(grant.k);
    else if (grant.op === 'part' && grant.u && grant.n)
      dest = path.join(await this.assertUpload(grant.k, grant.u), `${grant.n}.part`);
    else throw new SignedUrlInvalid('This signed URL does not allow uploads');
    const tmp = await this.tmpPath();
    const md5 = createHash('md5');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        received += chunk.length;
        if (received > expected) return cb(new UploadSizeMismatch(expected, received));
        md5.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, fs.createWriteStream(tmp));
      if (received !== expected) throw new UploadSizeMismatch(expected, received);
      const etag = md5.digest('hex');
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      if (grant.op === 'part')
        await fsp.writeFile(path.join(path.dirname(dest), `${grant.n}.etag`), `"${etag}"`);
      await fsp.rename(tmp, dest);
      return { etag: `"${etag}"`, size: received };
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  private signed(method: 'PUT' | 'GET', grant: LocalGrant): SignedRequest {
    const headers: Record<string, string> =
      method === 'PUT' ? { 'Content-Type': 'application/octet-stream' } : {};
    return {
      method,
      url: `${this.publicUrl()}/v1/storage/local/${this.signer.sign(grant)}`,
      headers,
      expiresAt: new Date(grant.e * 1000),
    };
  }

  private objectPath(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new SignedUrlInvalid(`Unsafe storage key "${key}"`);
    }
    return path.join(this.root, 'objects', key);
  }

  private uploadDir(uploadId: string): string {
    return path.join(this.root, 'uploads', uploadId);
  }

  private async assertUpload(key: string, uploadId: string): Promise<string> {
    if (!UPLOAD_ID.test(uploadId)) throw new StorageUploadNotFound(uploadId);
    const dir = this.uploadDir(uploadId);
    let meta: { key?: string };
    try {
      meta = JSON.parse(await fsp.readFile(path.join(dir, 'upload.json'), 'utf8')) as {
        key?: string;
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageUploadNotFound(uploadId);
      throw new StorageUnreachable(ensureError(e).message);
    }
    if (meta.key !== key) throw new StorageUploadNotFound(uploadId);
    return dir;
  }

  private async tmpPath(): Promise<string> {
    const dir = path.join(this.root, 'tmp');
    await this.io(() => fsp.mkdir(dir, { recursive: true }));
    return path.join(dir, randomBytes(12).toString('hex'));
  }

  private async io<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new StorageUnreachable(`Local storage: ${ensureError(e).message}`);
    }
  }
}

function expiry(ttlSec: number): number {
  return Math.floor(Date.now() / 1000) + ttlSec;
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}
