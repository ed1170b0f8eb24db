import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { deriveKey } from '../common/crypto.js';
import { NotFound } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { LocalDriver, LocalUrlSigner } from './local.driver.js';
import { RemoteDriversService } from './remote-drivers.service.js';
import type { StorageKind } from './storage-backend.entity.js';
import type { StorageDriver } from './storage-driver.js';
import { StorageKindUnsupported } from './storage-errors.js';

/** Turns a storage backend id into the driver that talks to it. The one place that knows every kind. */
@Injectable()
export class StorageDriversService {
  readonly signer: LocalUrlSigner;
  private readonly locals = new Map<string, LocalDriver>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly remote: RemoteDriversService,
  ) {
    this.signer = new LocalUrlSigner(deriveKey(config.secretKey, 'local-storage'));
  }

  /** The driver of a backend; throws 404 when the backend does not exist. */
  async forBackend(backendId: string): Promise<StorageDriver> {
    const rows: { id: string; kind: StorageKind }[] = await this.db.query(
      'SELECT id, kind FROM storage_backends WHERE id = $1',
      [backendId],
    );
    const row = rows[0];
    if (!row) throw new NotFound('Storage backend', backendId);
    switch (row.kind) {
      case 'local':
        return this.local(row.id);
      case 's3':
      case 'azure':
        return this.remote.driver(row.id);
      default:
        throw new StorageKindUnsupported(String(row.kind));
    }
  }

  /**
   * The local-disk driver of a backend, rooted at `{storageDir}/{backendId}`. Signed local URLs
   * reach it through this without a database lookup: the token's HMAC already proves we issued it.
   */
  local(backendId: string): LocalDriver {
    let d = this.locals.get(backendId);
    if (!d) {
      d = new LocalDriver(
        backendId,
        path.join(this.config.storageDir, backendId),
        this.signer,
        () => this.config.publicUrl,
      );
      this.locals.set(backendId, d);
    }
    return d;
  }
}
