import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  BlobSASPermissions,
  BlobServiceClient,
  RestError,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlockBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
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

/** Non-secret settings of an Azure Blob backend, as stored in `storage_backends.config`. */
export interface AzureSettings {
  /** `https://<account>.blob.core.windows.net` (or an emulator URL ending in the account name); unset when a connection string gives it. */
  accountUrl?: string;
  container: string;
  /** Needed with an account key when the account URL does not name the account. */
  accountName?: string;
  /** Key prefix inside the container, without a trailing slash. */
  prefix?: string;
}

/** Secret part of an Azure backend: a connection string, or an account key, or a SAS token. */
export interface AzureCredentials {
  connectionString?: string;
  accountKey?: string;
  /** A container (or account) SAS; signed URLs then carry it as is and expire with it. */
  sasToken?: string;
}

/** How the driver authenticates after the settings are resolved. */
type Auth = { kind: 'key'; credential: StorageSharedKeyCredential } | { kind: 'sas'; sas: string };

/** Clock skew allowance for SAS start times. */
const SAS_SKEW_MS = 5 * 60 * 1000;

/**
 * Azure Blob Storage. Uploads are SAS URLs: a whole blob (`Put Blob`) or one block
 * (`comp=block&blockid=…`); a multipart "upload id" is a random tag carried inside every block id,
 * so the uncommitted block list tells which parts of which upload the store holds. Put Block
 * answers no ETag, so a part's etag is its block id and completion needs only the part numbers.
 */
export class AzureDriver implements StorageDriver {
  readonly kind = 'azure' as const;
  private readonly container: ContainerClient;
  private readonly auth: Auth;
  private readonly where: string;

  constructor(
    private readonly settings: AzureSettings,
    credentials: AzureCredentials,
    opts: { maxTries?: number; tryTimeoutMs?: number } = {},
  ) {
    const resolved = resolveAzure(settings, credentials);
    this.auth = resolved.auth;
    this.where = resolved.accountUrl;
    const pipeline: StoragePipelineOptions = {
      retryOptions: { maxTries: opts.maxTries ?? 3, tryTimeoutInMs: opts.tryTimeoutMs },
      userAgentOptions: { userAgentPrefix: 'apogee' },
    };
    const service =
      this.auth.kind === 'key'
        ? new BlobServiceClient(resolved.accountUrl, this.auth.credential, pipeline)
        : new BlobServiceClient(`${resolved.accountUrl}?${this.auth.sas}`, undefined, pipeline);
    this.container = service.getContainerClient(settings.container);
  }

  /** A driver for a one-off connection test: one try, short timeout. */
  static forProbe(settings: AzureSettings, credentials: AzureCredentials): AzureDriver {
    return new AzureDriver(settings, credentials, { maxTries: 1, tryTimeoutMs: 10_000 });
  }

  private name(key: string): string {
    return this.settings.prefix ? `${this.settings.prefix.replace(/\/+$/, '')}/${key}` : key;
  }

  private blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(this.name(key));
  }

  /** A SAS query string for one blob, and when it stops working. */
  private sas(
    key: string,
    permissions: string,
    ttlSec: number,
    fileName?: string,
  ): { query: string; expiresAt: Date } {
    if (this.auth.kind === 'sas') {
      const se = new URLSearchParams(this.auth.sas).get('se');
      return {
        query: this.auth.sas,
        expiresAt: se ? new Date(se) : new Date(Date.now() + ttlSec * 1000),
      };
    }
    const expiresOn = new Date(Date.now() + ttlSec * 1000);
    const query = generateBlobSASQueryParameters(
      {
        containerName: this.settings.container,
        blobName: this.name(key),
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - SAS_SKEW_MS),
        expiresOn,
        contentDisposition: fileName ? attachmentDisposition(fileName) : undefined,
      },
      this.auth.credential,
    ).toString();
    return { query, expiresAt: expiresOn };
  }

  async signPut(
    key: string,
    opts: { size: number; contentType: string; ttlSec: number },
  ): Promise<SignedRequest> {
    const { query, expiresAt } = this.sas(key, 'cw', opts.ttlSec);
    return {
      method: 'PUT',
      url: `${this.blob(key).url}?${query}`,
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': opts.contentType },
      expiresAt,
    };
  }

  async createMultipart(): Promise<string> {
    return randomBytes(8).toString('hex');
  }

  async signPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; ttlSec: number },
  ): Promise<SignedRequest> {
    const { query, expiresAt } = this.sas(key, 'w', opts.ttlSec);
    const url = `${this.blob(key).url}?comp=block&blockid=${encodeURIComponent(blockId(uploadId, partNumber))}&${query}`;
    return { method: 'PUT', url, headers: {}, expiresAt };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    let blocks: { name: string; size: number }[];
    try {
      const r = await this.call(key, () => this.blob(key).getBlockList('uncommitted'));
      blocks = r.uncommittedBlocks ?? [];
    } catch (e) {
      if (e instanceof StorageObjectNotFound) return [];
      throw e;
    }
    const parts: StoredPart[] = [];
    for (const b of blocks) {
      const n = partOf(b.name, uploadId);
      if (n !== null) parts.push({ partNumber: n, size: b.size, etag: b.name });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    const numbers = [...new Set(parts.map((p) => p.partNumber))].sort((a, b) => a - b);
    if (numbers.length !== parts.length)
      throw new StoragePartsInvalid('A part number appears twice in the parts list');
    await this.call(
      key,
      () => this.blob(key).commitBlockList(numbers.map((n) => blockId(uploadId, n))),
      uploadId,
    );
  }

  /**
   * Azure has no "abort": uncommitted blocks vanish at the next commit (or after a week). Committing
   * the blob's current block list (empty when it never existed) discards them now.
   */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    const blob = this.blob(key);
    if (!(await this.listParts(key, uploadId)).length) return;
    const committed = await this.call(key, () => blob.getBlockList('committed')).catch(
      (e: unknown) => {
        if (e instanceof StorageObjectNotFound) return { committedBlocks: [] };
        throw e;
      },
    );
    const ids = (committed.committedBlocks ?? []).map((b) => b.name);
    await this.call(key, () => blob.commitBlockList(ids));
    if (!ids.length) await this.delete(key);
  }

  async signGet(key: string, opts: { ttlSec: number; fileName?: string }): Promise<SignedRequest> {
    const { query, expiresAt } = this.sas(key, 'r', opts.ttlSec, opts.fileName);
    return { method: 'GET', url: `${this.blob(key).url}?${query}`, headers: {}, expiresAt };
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const p = await this.call(key, () => this.blob(key).getProperties());
      return { size: Number(p.contentLength ?? 0) };
    } catch (e) {
      if (e instanceof StorageObjectNotFound) return null;
      throw e;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const r = await this.call(key, () =>
      range
        ? this.blob(key).download(range.start, range.end - range.start + 1)
        : this.blob(key).download(),
    );
    if (!r.readableStreamBody)
      throw new StorageError(502, 'storage_error', `Azure answered GET ${key} without a body`);
    return r.readableStreamBody as Readable;
  }

  async delete(key: string): Promise<void> {
    await this.call(key, () => this.blob(key).deleteIfExists());
  }

  testConnection(): Promise<ConnectionCheck[]> {
    const key = probeKey();
    return runConnectionChecks({
      list: () =>
        this.call('', () =>
          this.container
            .listBlobsFlat({ prefix: this.name('') })
            .byPage({ maxPageSize: 1 })
            .next(),
        ),
      write: () =>
        this.call(key, () =>
          this.blob(key).upload(PROBE_BODY, Buffer.byteLength(PROBE_BODY), {
            blobHTTPHeaders: { blobContentType: 'text/plain' },
          }),
        ),
      read: async () => {
        const buf = await this.call(key, () => this.blob(key).downloadToBuffer());
        if (buf.toString('utf8') !== PROBE_BODY)
          throw new Error(
            `read back ${buf.length} bytes that differ from the ${PROBE_BODY.length} written`,
          );
      },
      delete: () => this.delete(key),
    });
  }

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
    if (net) return new StorageUnreachable(`Azure endpoint unreachable: ${net}`);
    const err = ensureError(e);
    const status = e instanceof RestError ? e.statusCode : undefined;
    const code =
      (e instanceof RestError
        ? ((e.details as { errorCode?: string } | undefined)?.errorCode ?? e.code)
        : undefined) ?? err.name;
    if (e instanceof RestError && !status) {
      // No HTTP answer at all: the request never reached a server.
      return new StorageUnreachable(
        `Azure endpoint unreachable: nothing answers at ${this.where} (${e.code ?? err.message})`,
      );
    }
    switch (code) {
      case 'BlobNotFound':
        return new StorageObjectNotFound(key);
      case 'InvalidBlockList':
      case 'InvalidBlockId':
        return new StoragePartsInvalid(
          `Azure refused the block list (${code}): a listed part was never uploaded`,
        );
      case 'ContainerNotFound':
        return new StorageAccessDenied(
          `container "${this.settings.container}" does not exist at ${this.where} (ContainerNotFound)`,
        );
      case 'AuthenticationFailed':
        return new StorageAccessDenied(
          `the account key or SAS was refused (AuthenticationFailed, HTTP ${status ?? 403})`,
        );
      case 'AuthorizationFailure':
      case 'AuthorizationPermissionMismatch':
      case 'AuthorizationResourceTypeMismatch':
        return new StorageAccessDenied(
          `the account key or SAS was refused or does not allow this operation (${code}, HTTP ${status ?? 403})`,
        );
    }
    if (status === 404)
      return uploadId ? new StorageUploadNotFound(uploadId) : new StorageObjectNotFound(key);
    if (status === 401 || status === 403)
      return new StorageAccessDenied(`access denied by ${this.where} (${code}, HTTP ${status})`);
    const first = err.message.split('\n')[0];
    return new StorageError(
      502,
      'storage_error',
      `Azure request failed (${code}${status ? `, HTTP ${status}` : ''}): ${first}`,
    );
  }
}

/** Block ids must have one length within a blob: `<16 hex upload id>:<5-digit part>`, base64. */
function blockId(uploadId: string, partNumber: number): string {
  return Buffer.from(`${uploadId}:${String(partNumber).padStart(5, '0')}`).toString('base64');
}

function partOf(id: string, uploadId: string): number | null {
  const m = /^([0-9a-f]+):(\d{5})$/.exec(Buffer.from(id, 'base64').toString('utf8'));
  return m && m[1] === uploadId ? Number(m[2]) : null;
}

/** Parses `Key=Value;…` connection strings (Azure's own format). */
function parseConnectionString(cs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of cs.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Settings + credentials → account URL and auth. Throws a 400-class error naming what is missing. */
export function resolveAzure(
  settings: AzureSettings,
  creds: AzureCredentials,
): { accountUrl: string; auth: Auth } {
  let accountUrl = settings.accountUrl?.replace(/\/+$/, '');
  let accountName = settings.accountName;
  let accountKey = creds.accountKey;
  let sas = creds.sasToken?.replace(/^\?/, '');
  if (creds.connectionString) {
    const cs = parseConnectionString(creds.connectionString);
    accountName ??= cs.AccountName;
    accountKey ??= cs.AccountKey;
    sas ??= cs.SharedAccessSignature;
    accountUrl ??=
      cs.BlobEndpoint?.replace(/\/+$/, '') ??
      (cs.AccountName
        ? `${cs.DefaultEndpointsProtocol ?? 'https'}://${cs.AccountName}.blob.${cs.EndpointSuffix ?? 'core.windows.net'}`
        : undefined);
  }
  if (!accountUrl)
    throw new StorageError(
      400,
      'storage_config_invalid',
      'An Azure backend needs an account URL or a connection string with BlobEndpoint or AccountName',
    );
  if (accountKey) {
    accountName ??= accountNameFromUrl(accountUrl);
    if (!accountName)
      throw new StorageError(
        400,
        'storage_config_invalid',
        'An account key needs the account name (accountName, or an account URL that names it)',
      );
    return {
      accountUrl,
      auth: { kind: 'key', credential: new StorageSharedKeyCredential(accountName, accountKey) },
    };
  }
  if (sas) return { accountUrl, auth: { kind: 'sas', sas } };
  throw new StorageError(
    400,
    'storage_config_invalid',
    'An Azure backend needs an account key, a SAS token or a connection string that holds one',
  );
}

/** `https://acct.blob.core.windows.net` → acct; emulator style `http://127.0.0.1:10000/acct` → acct. */
function accountNameFromUrl(u: string): string | undefined {
  const url = new URL(u);
  const seg = url.pathname.split('/').filter(Boolean)[0];
  if (seg) return seg;
  const host = url.hostname;
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host === 'localhost' ? undefined : host.split('.')[0];
}
