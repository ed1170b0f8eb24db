import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decrypt, deriveKey, encrypt } from '../common/crypto.js';
import { NotFound } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AzureDriver, type AzureCredentials, type AzureSettings } from './azure.driver.js';
import { S3Driver, type S3Credentials, type S3Settings } from './s3.driver.js';
import type { StorageDriver } from './storage-driver.js';
import { StorageKindUnsupported } from './storage-errors.js';

/** A remote backend's stored shape: non-secret settings and its decrypted credentials. */
export type RemoteSpec =
  | { kind: 's3'; settings: S3Settings; credentials: S3Credentials }
  | { kind: 'azure'; settings: AzureSettings; credentials: AzureCredentials };

/** Builds the driver of a remote spec; `probe` drivers try once with short timeouts (connection tests). */
export function remoteDriver(spec: RemoteSpec, opts: { probe?: boolean } = {}): StorageDriver {
  switch (spec.kind) {
    case 's3':
      return opts.probe
        ? S3Driver.forProbe(spec.settings, spec.credentials)
        : new S3Driver(spec.settings, spec.credentials);
    case 'azure':
      return opts.probe
        ? AzureDriver.forProbe(spec.settings, spec.credentials)
        : new AzureDriver(spec.settings, spec.credentials);
  }
}

/**
 * S3 and Azure drivers of stored backends. Credentials are sealed with AES-256-GCM under a key
 * derived for this one purpose; drivers are cached per backend and rebuilt when the row changes.
 */
@Injectable()
export class RemoteDriversService {
  private readonly key: Buffer;
  private readonly cache = new Map<string, { version: number; driver: StorageDriver }>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.key = deriveKey(config.secretKey, 'storage-credentials');
  }

  seal(credentials: S3Credentials | AzureCredentials): string {
    return encrypt(JSON.stringify(credentials), this.key);
  }

  open<T extends S3Credentials | AzureCredentials>(sealed: string | null): T {
    return (sealed ? JSON.parse(decrypt(sealed, this.key)) : {}) as T;
  }

  /** The driver of a stored S3 or Azure backend; `probe` builds a fresh one-try driver for a connection test. */
  async driver(backendId: string, opts: { probe?: boolean } = {}): Promise<StorageDriver> {
    const rows: {
      kind: string;
      config: Record<string, unknown>;
      credentials_encrypted: string | null;
      updated_at: Date;
    }[] = await this.db.query(
      'SELECT kind, config, credentials_encrypted, updated_at FROM storage_backends WHERE id = $1',
      [backendId],
    );
    const row = rows[0];
    if (!row) throw new NotFound('Storage backend', backendId);
    if (row.kind !== 's3' && row.kind !== 'azure') throw new StorageKindUnsupported(row.kind);
    const spec = {
      kind: row.kind,
      settings: row.config,
      credentials: this.open(row.credentials_encrypted),
    } as unknown as RemoteSpec;
    if (opts.probe) return remoteDriver(spec, { probe: true });
    const version = new Date(row.updated_at).getTime();
    const hit = this.cache.get(backendId);
    if (hit && hit.version === version) return hit.driver;
    const driver = remoteDriver(spec);
    this.cache.set(backendId, { version, driver });
    return driver;
  }
}
