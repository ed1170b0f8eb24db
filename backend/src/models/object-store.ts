import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { ValidationFailed } from '../common/errors.js';
import { OrbitsService } from '../orbits/orbits.service.js';
import { RemoteDriversService } from '../storage/remote-drivers.service.js';
import type { S3Credentials, S3Settings } from '../storage/s3.driver.js';
import { ModelStateConflict } from './model-errors.js';

/** One object of a model under an `s3://bucket/prefix`, with a presigned GET for the loader. */
export interface RemoteFile {
  path: string;
  size: number;
  url: string;
  sha256: string | null;
}

/** Longest a presigned GET handed to a loader stays valid, s. */
const URL_TTL_SEC = 6 * 3600;
const MAX_FILES = 10_000;

/**
 * Reads `s3://bucket/prefix` with the endpoint and credentials of an organization's S3 storage
 * backend: lists the objects under `prefix/` and presigns a GET for each, so the loader needs no
 * credentials of its own (they never leave the API).
 */
@Injectable()
export class ObjectStoreSource {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly remote: RemoteDriversService,
    private readonly access: AccessService,
    private readonly orbits: OrbitsService,
  ) {}

  /**
   * The backend must be an S3 backend of the organization (400 otherwise) that the caller may
   * read: an organization-level right, or the backend the orbit itself stores on.
   */
  async assertUsable(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    backendId: string,
  ): Promise<void> {
    const own = (await this.orbits.storageBackendOf(orbitId)) === backendId;
    if (!own) {
      try {
        await this.access.organization(ctx, orgId, ['storage_backend', 'read']);
      } catch (e) {
        if ((e as { status?: number }).status !== 403) throw e;
        throw new ValidationFailed('Storage backend not allowed', [
          {
            field: 'storageBackendId',
            problems: [
              'you may not read this storage backend (an orbit-scoped key may use only its orbit’s backend)',
            ],
          },
        ]);
      }
    }
    const rows: { kind: string }[] = await this.db.query(
      'SELECT kind FROM storage_backends WHERE id = $1 AND organization_id = $2',
      [backendId, orgId],
    );
    if (!rows[0])
      throw new ValidationFailed('Unknown storage backend', [
        {
          field: 'storageBackendId',
          problems: ['no storage backend with this id in the organization'],
        },
      ]);
    if (rows[0].kind !== 's3')
      throw new ValidationFailed('Not an S3 backend', [
        {
          field: 'storageBackendId',
          problems: [`a ${rows[0].kind} backend cannot read s3:// locations`],
        },
      ]);
  }

  async list(orgId: string, backendId: string, location: string): Promise<RemoteFile[]> {
    const rows: { kind: string; config: S3Settings; credentials_encrypted: string | null }[] =
      await this.db.query(
        'SELECT kind, config, credentials_encrypted FROM storage_backends WHERE id = $1 AND organization_id = $2',
        [backendId, orgId],
      );
    const row = rows[0];
    if (!row || row.kind !== 's3')
      throw new ModelStateConflict(
        'storage_backend_missing',
        `Storage backend ${backendId} is gone or is not an S3 backend`,
      );
    const creds = this.remote.open<S3Credentials>(row.credentials_encrypted);
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location)!;
    const bucket = m[1]!;
    // A trailing slash so that `gemma-2b` does not also match `gemma-2b-it`.
    const prefix = `${m[2]!.replace(/\/+$/, '')}/`;
    const client = new S3Client({
      endpoint: row.config.endpoint,
      region: row.config.region,
      forcePathStyle: row.config.pathStyle,
      credentials: creds,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const out: RemoteFile[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/')) continue;
          const url = await getSignedUrl(
            client,
            new GetObjectCommand({ Bucket: bucket, Key: o.Key }),
            { expiresIn: URL_TTL_SEC },
          );
          out.push({ path: o.Key.slice(prefix.length), size: o.Size ?? -1, url, sha256: null });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && out.length < MAX_FILES);
      return out;
    } catch (e) {
      const err = e as Error & { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      if (err.name === 'NoSuchBucket' || status === 404)
        throw new ModelStateConflict('object_store_not_found', `Bucket ${bucket} does not exist`);
      if (status === 403)
        throw new ModelStateConflict(
          'object_store_denied',
          `The storage backend's credentials cannot list ${location}`,
        );
      throw new Error(`Listing ${location} failed: ${err.message}`);
    } finally {
      client.destroy();
    }
  }
}
