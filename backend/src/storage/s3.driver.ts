import https from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ListPartsCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ensureError } from '../common/errors.js';
import {
  attachmentDisposition,
  networkFailure,
  PROBE_BODY,
  probeKey,
  runConnectionChecks,
} from './connection-checks.js';
import type {
  ByteRange,
  ConnectionCheck,
  SignedRequest,
  StorageDriver,
  StoredPart,
} from './storage-driver.js';
import {
  StorageAccessDenied,
  StorageError,
  StorageObjectNotFound,
  StoragePartsInvalid,
  StorageUnreachable,
  StorageUploadNotFound,
} from './storage-errors.js';

/** Non-secret settings of an S3 backend, as stored in `storage_backends.config`. */
export interface S3Settings {
  /** Custom endpoint (MinIO, Ceph, R2…); unset means AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Path-style addressing (`endpoint/bucket/key`); most non-AWS servers need it. */
  pathStyle: boolean;
  /** Verify the endpoint's TLS certificate. Off only for test servers with self-signed certificates. */
  verifyTls: boolean;
  /** Key prefix inside the bucket, without a trailing slash. */
  prefix?: string;
}

/** Secret part of an S3 backend, sealed in `storage_backends.credentials_encrypted`. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Time a connection test waits for a TCP connection before calling the endpoint unreachable, ms. */
const PROBE_CONNECT_TIMEOUT_MS = 3000;

/**
 * S3 (and S3-compatible servers). Uploads and downloads are presigned SigV4 URLs; the driver only
 * signs, lists, completes and reads back for verification. The client follows the settings that
 * work on every S3 server we test against: no automatic request/response checksums (we keep our
 * own sha256), so presigned part URLs stay plain.
 */
export class S3Driver implements StorageDriver {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly where: string;

  constructor(
    private readonly settings: S3Settings,
    credentials: S3Credentials,
    opts: { maxAttempts?: number; connectTimeoutMs?: number } = {},
  ) {
    this.where = settings.endpoint ?? `s3.${settings.region}.amazonaws.com`;
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.pathStyle,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken || undefined,
      },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: opts.connectTimeoutMs ?? 10_000,
        ...(settings.verifyTls
          ? {}
          : { httpsAgent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }) }),
      },
    });
  }

  /** A driver for a one-off connection test: one attempt, short connect timeout. */
  static forProbe(settings: S3Settings, credentials: S3Credentials): S3Driver {
    return new S3Driver(settings, credentials, {
      maxAttempts: 1,
      connectTimeoutMs: PROBE_CONNECT_TIMEOUT_MS,
    });
  }

  private key(key: string): string {
    return this.settings.prefix ? `${this.settings.prefix.replace(/\/+$/, '')}/${key}` : key;
  }

  private expiry(ttlSec: number): Date {
    return new Date(Date.now() + ttlSec * 1000);
  }

  async signPut(
    key: string,
    opts: { size: number; contentType: string; ttlSec: number },
  ): Promise<SignedRequest> {
    const cmd = new PutObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.key(key),
      ContentType: opts.contentType,
      ContentLength: opts.size,
    });
    // Signing content-length makes the store itself refuse a body of another size.
    const url = await this.call(key, () =>
      getSignedUrl(this.client, cmd, {
        expiresIn: opts.ttlSec,
        signableHeaders: new Set(['content-type', 'content-length']),
      }),
    );
    return {
      method: 'PUT',
      url,
      headers: { 'content-type': opts.contentType },
      expiresAt: this.expiry(opts.ttlSec),
    };
  }

  async createMultipart(key: string, opts: { contentType: string }): Promise<string> {
    const r = await this.call(key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.settings.bucket,
          Key: this.key(key),
          ContentType: opts.contentType,
        }),
      ),
    );
    if (!r.UploadId)
      throw new StorageError(
        502,
        'storage_error',
        'The S3 server started a multipart upload without an UploadId',
      );
    return r.UploadId;
  }

  async signPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; ttlSec: number },
  ): Promise<SignedRequest> {
    const cmd = new UploadPartCommand({
      Bucket: this.settings.bucket,
      Key: this.key(key),
      UploadId: uploadId,
      PartNumber: partNumber,
      ContentLength: opts.size,
    });
    const url = await this.call(
      key,
      () =>
        getSignedUrl(this.client, cmd, {
          expiresIn: opts.ttlSec,
          signableHeaders: new Set(['content-length']),
        }),
      uploadId,
    );
    return { method: 'PUT', url, headers: {}, expiresAt: this.expiry(opts.ttlSec) };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const r: ListPartsCommandOutput = await this.call(
        key,
        () =>
          this.client.send(
            new ListPartsCommand({
              Bucket: this.settings.bucket,
              Key: this.key(key),
              UploadId: uploadId,
              PartNumberMarker: marker,
              MaxParts: 1000,
            }),
          ),
        uploadId,
      );
      for (const p of r.Parts ?? []) {
        if (p.PartNumber && p.ETag)
          parts.push({ partNumber: p.PartNumber, size: Number(p.Size ?? 0), etag: p.ETag });
      }
      if (!r.IsTruncated || !r.NextPartNumberMarker || r.NextPartNumberMarker === marker) break;
      marker = r.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    await this.call(
      key,
      () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.settings.bucket,
            Key: this.key(key),
            UploadId: uploadId,
            MultipartUpload: {
              Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: quoteEtag(p.etag) })),
            },
          }),
        ),
      uploadId,
    );
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.call(
        key,
        () =>
          this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.settings.bucket,
              Key: this.key(key),
              UploadId: uploadId,
            }),
          ),
        uploadId,
      );
    } catch (e) {
      // Already completed or aborted: the goal (no pending upload) holds.
      if (!(e instanceof StorageUploadNotFound)) throw e;
    }
  }

  async signGet(key: string, opts: { ttlSec: number; fileName?: string }): Promise<SignedRequest> {
    const cmd = new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.key(key),
      ResponseContentDisposition: opts.fileName ? attachmentDisposition(opts.fileName) : undefined,
    });
    const url = await this.call(key, () =>
      getSignedUrl(this.client, cmd, { expiresIn: opts.ttlSec }),
    );
    return { method: 'GET', url, headers: {}, expiresAt: this.expiry(opts.ttlSec) };
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const r = await this.call(key, () =>
        this.client.send(
          new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }),
        ),
      );
      return { size: Number(r.ContentLength ?? 0) };
    } catch (e) {
      if (e instanceof StorageObjectNotFound) return null;
      throw e;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const r = await this.call(key, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.key(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      ),
    );
    if (!r.Body)
      throw new StorageError(
        502,
        'storage_error',
        `The S3 server answered GET ${key} without a body`,
      );
    return r.Body as Readable;
  }

  async delete(key: string): Promise<void> {
    await this.call(key, () =>
      this.client.send(
        new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }),
      ),
    );
  }

  testConnection(): Promise<ConnectionCheck[]> {
    const key = probeKey();
    return runConnectionChecks({
      list: () =>
        this.call('', () =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.settings.bucket,
              Prefix: this.key(''),
              MaxKeys: 1,
            }),
          ),
        ),
      write: () =>
        this.call(key, () =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.settings.bucket,
              Key: this.key(key),
              Body: PROBE_BODY,
              ContentType: 'text/plain',
            }),
          ),
        ),
      read: async () => {
        const r = await this.call(key, () =>
          this.client.send(
            new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }),
          ),
        );
        const text = await r.Body?.transformToString();
        if (text !== PROBE_BODY)
          throw new Error(
            `read back ${text?.length ?? 0} bytes that differ from the ${PROBE_BODY.length} written`,
          );
      },
      delete: () => this.delete(key),
    });
  }

  /** Runs one S3 call and turns its failure into a {@link StorageError} that names the cause. */
  private async call<T>(key: string, fn: () => Promise<T>, uploadId?: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(e, key, uploadId);
    }
  }

  private translate(e: unknown, key: string, uploadId?: string): Error {
    if (e instanceof StorageError) return e;
    const net = networkFailure(e, this.where);
    if (net) return new StorageUnreachable(`S3 endpoint unreachable: ${net}`);
    const err = ensureError(e) as Error & {
      $metadata?: { httpStatusCode?: number };
      Code?: string;
    };
    const status = err.$metadata?.httpStatusCode;
    const code =
      err.name && err.name !== 'Error' ? err.name : (err.Code ?? `HTTP ${status ?? '?'}`);
    const detail =
      err.message && err.message !== 'UnknownError' && err.message !== code
        ? `: ${err.message}`
        : '';
    // A 404 while naming an upload is about the upload (radosgw answers NoSuchKey for it).
    if (uploadId && (status === 404 || code === 'NoSuchUpload'))
      return new StorageUploadNotFound(uploadId);
    switch (code) {
      case 'NoSuchKey':
      case 'NotFound':
        return new StorageObjectNotFound(key);
      case 'InvalidPart':
      case 'InvalidPartOrder':
      case 'EntityTooSmall':
        return new StoragePartsInvalid(`The S3 server refused the parts list (${code})${detail}`);
      case 'NoSuchBucket':
        return new StorageAccessDenied(
          `bucket "${this.settings.bucket}" does not exist on ${this.where} (NoSuchBucket)`,
        );
      case 'SignatureDoesNotMatch':
        return new StorageAccessDenied(
          `the secret key does not match the access key (SignatureDoesNotMatch, HTTP ${status ?? 403})`,
        );
      case 'InvalidAccessKeyId':
        return new StorageAccessDenied(
          `the access key is unknown to ${this.where} (InvalidAccessKeyId, HTTP ${status ?? 403})`,
        );
      case 'ExpiredToken':
      case 'InvalidToken':
        return new StorageAccessDenied(`the session token was refused (${code})${detail}`);
      case 'AccessDenied':
      case 'AllAccessDisabled':
        return new StorageAccessDenied(
          `access to bucket "${this.settings.bucket}" denied (${code}, HTTP ${status ?? 403})${detail}`,
        );
    }
    if (status === 404)
      return uploadId ? new StorageUploadNotFound(uploadId) : new StorageObjectNotFound(key);
    if (status === 403 || status === 401)
      return new StorageAccessDenied(
        `access denied by ${this.where} (${code}, HTTP ${status})${detail}`,
      );
    return new StorageError(
      502,
      'storage_error',
      `S3 request failed (${code}${status ? `, HTTP ${status}` : ''})${detail}`,
    );
  }
}

/** S3 wants ETags quoted in CompleteMultipartUpload; clients often strip the quotes. */
function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}
