import { createHash, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import {
  checkCursorValue,
  CollectionsService,
  ValidationCursor,
} from '../collections/collections.service.js';
import { likeContains } from '../collections/dto/tags.validator.js';
import { systemContext, type RequestContext } from '../common/auth/principal.js';
import { ensureError, ValidationFailed } from '../common/errors.js';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { formatFromFileName } from '../manifest/format-detect.js';
import { ManifestService } from '../manifest/manifest.service.js';
import { OrbitsService } from '../orbits/orbits.service.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { StorageDriversService } from '../storage/storage-drivers.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { Artifact, type ArtifactStatus, type ArtifactType } from './artifact.entity.js';
import {
  ArtifactInUse,
  ArtifactNotFound,
  ArtifactStatusConflict,
  ArtifactTooLarge,
  UploadNotMultipart,
  UploadVerificationFailed,
} from './artifact-errors.js';
import type {
  ArtifactCompleteDto,
  ArtifactCreateDto,
  ArtifactCreatedDto,
  ArtifactQueryDto,
  ArtifactResponseDto,
  ArtifactUpdateDto,
  DownloadUrlDto,
  UploadPartsSignDto,
  UploadPartsSignedDto,
  UploadPlanDto,
  UploadStatusDto,
} from './dto/artifact.dto.js';

/**
 * Another module's claim on an artifact (a deployment serving it, a track entry naming it).
 * Returns a human-readable description of each dependent, or an empty list. Runs inside the
 * deletion's transaction, after the artifact row is locked `FOR UPDATE`.
 */
export type ArtifactDependencyCheck = (
  m: EntityManager,
  artifact: { id: string; orbitId: string },
) => Promise<string[]>;

const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

interface ArtifactRow {
  id: string;
  organization_id: string;
  orbit_id: string;
  collection_id: string;
  storage_backend_id: string;
  name: string;
  description: string;
  type: ArtifactType;
  format: string;
  file_name: string;
  content_type: string;
  size: number;
  sha256: string;
  storage_key: string;
  upload_id: string | null;
  upload_part_size: number | null;
  status: ArtifactStatus;
  status_reason: string | null;
  manifest: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: string[];
  created_by: string | null;
  uploaded_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `a.id, a.organization_id, a.orbit_id, a.collection_id, a.storage_backend_id, a.name, a.description, a.type, a.format,
  a.file_name, a.content_type, a.size, a.sha256, a.storage_key, a.upload_id, a.upload_part_size, a.status, a.status_reason,
  a.manifest, a.metrics, a.tags, a.created_by, a.uploaded_at, a.created_at, a.updated_at`;

const COLUMN_SORTS: Record<string, { expr: string; cast: string }> = {
  created_at: { expr: 'a.created_at', cast: 'timestamptz' },
  updated_at: { expr: 'a.updated_at', cast: 'timestamptz' },
  name: { expr: 'a.name', cast: 'text' },
  size: { expr: 'a.size', cast: 'bigint' },
};

/** The registry's artifacts: upload protocol (docs/artifact-transfer.md), listing, metadata, deletion. */
@Injectable()
export class ArtifactsService {
  private readonly logger = new Logger('ArtifactsService');
  private readonly dependencyChecks = new Map<string, ArtifactDependencyCheck>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly collections: CollectionsService,
    private readonly orbits: OrbitsService,
    private readonly drivers: StorageDriversService,
    private readonly manifests: ManifestService,
    private readonly webhooks: WebhooksService,
  ) {}

  /** Lets another module (deployments, tracks) veto deleting artifacts it depends on. */
  registerDependencyCheck(name: string, check: ArtifactDependencyCheck): void {
    this.dependencyChecks.set(name, check);
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    collectionId: string,
    dto: ArtifactCreateDto,
  ): Promise<ArtifactCreatedDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'create']);
    const max = await this.orbits.maxArtifactBytes(orbitId);
    if (dto.size > max) throw new ArtifactTooLarge(dto.size, max);
    const backendId = await this.orbits.storageBackendOf(orbitId);
    const driver = await this.drivers.forBackend(backendId);
    const id = randomUUID();
    const key = `orbits/${orbitId}/artifacts/${id}/${safeFileName(dto.fileName)}`;
    const contentType = dto.contentType ?? 'application/octet-stream';
    const multipart = dto.size > this.config.multipartThresholdBytes;
    const partSize = multipart ? this.partSizeFor(dto.size) : null;
    const uploadId = multipart ? await driver.createMultipart(key, { contentType }) : null;
    try {
      await this.db.transaction(async (m) => {
        const collectionType = await this.collections.typeFor(m, orbitId, collectionId);
        const type = dto.type ?? (collectionType === 'mixed' ? 'model' : collectionType);
        if (collectionType !== 'mixed' && type !== collectionType) {
          throw new ValidationFailed(
            `A ${collectionType} collection holds only ${collectionType} artifacts`,
            [{ field: 'type', problems: [`type must be ${collectionType} in this collection`] }],
          );
        }
        await m.insert(Artifact, {
          id,
          organizationId: orgId,
          orbitId,
          collectionId,
          storageBackendId: backendId,
          name: dto.name.trim(),
          description: dto.description ?? '',
          type,
          format: dto.format ?? formatFromFileName(dto.fileName),
          fileName: dto.fileName,
          contentType,
          size: dto.size,
          sha256: dto.sha256.toLowerCase(),
          storageKey: key,
          uploadId,
          uploadPartSize: partSize,
          status: 'pending_upload',
          statusReason: null,
          manifest: dto.manifest ?? {},
          metrics: dto.metrics ?? {},
          tags: dto.tags ?? [],
          createdBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
          uploadedAt: null,
        });
        await this.audit.record(
          ctx,
          {
            action: 'artifact.create',
            resourceType: 'artifact',
            resourceId: id,
            organizationId: orgId,
            orbitId,
            details: { name: dto.name, collectionId, size: dto.size, fileName: dto.fileName },
          },
          m,
        );
      });
    } catch (e) {
      if (uploadId)
        await driver
          .abortMultipart(key, uploadId)
          .catch((err: unknown) =>
            this.logger.warn(
              `Abort of orphan upload ${uploadId} failed: ${ensureError(err).message}`,
            ),
          );
      throw e;
    }
    const ttl = this.config.signedUrlTtlSec;
    let upload: UploadPlanDto;
    if (uploadId && partSize) {
      upload = {
        mode: 'multipart',
        uploadId,
        partSize,
        partCount: Math.ceil(dto.size / partSize),
        expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
      };
    } else {
      const put = await driver.signPut(key, { size: dto.size, contentType, ttlSec: ttl });
      upload = {
        mode: 'single',
        url: put.url,
        headers: put.headers,
        expiresAt: put.expiresAt.toISOString(),
      };
    }
    return { artifact: toResponse(await this.row(orbitId, id)), upload };
  }

  async signParts(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: UploadPartsSignDto,
  ): Promise<UploadPartsSignedDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'create']);
    const a = await this.pending(orbitId, id);
    if (!a.upload_id || !a.upload_part_size) throw new UploadNotMultipart();
    const partCount = Math.ceil(a.size / a.upload_part_size);
    const bad = dto.partNumbers.filter((n) => n > partCount);
    if (bad.length)
      throw new ValidationFailed(`This upload has ${partCount} parts`, [
        {
          field: 'partNumbers',
          problems: [
            `part numbers must be between 1 and ${partCount}; got ${bad.slice(0, 5).join(', ')}`,
          ],
        },
      ]);
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    const ttl = this.config.signedUrlTtlSec;
    const parts = await Promise.all(
      dto.partNumbers.map(async (n) => {
        const size =
          n < partCount ? a.upload_part_size! : a.size - a.upload_part_size! * (partCount - 1);
        const s = await driver.signPart(a.storage_key, a.upload_id!, n, { size, ttlSec: ttl });
        return {
          partNumber: n,
          method: 'PUT' as const,
          url: s.url,
          headers: s.headers,
          expiresAt: s.expiresAt.toISOString(),
        };
      }),
    );
    return { parts };
  }

  /** What the storage already holds, so a client can resume without re-sending those parts. */
  async uploadStatus(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<UploadStatusDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'create']);
    const a = await this.pending(orbitId, id);
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    if (a.upload_id && a.upload_part_size) {
      const parts = await driver.listParts(a.storage_key, a.upload_id);
      return {
        mode: 'multipart',
        uploadId: a.upload_id,
        partSize: a.upload_part_size,
        partCount: Math.ceil(a.size / a.upload_part_size),
        parts,
      };
    }
    const put = await driver.signPut(a.storage_key, {
      size: a.size,
      contentType: a.content_type,
      ttlSec: this.config.signedUrlTtlSec,
    });
    const head = await driver.head(a.storage_key);
    return {
      mode: 'single',
      uploadId: null,
      partSize: a.size,
      partCount: 1,
      parts: head && head.size === a.size ? [{ partNumber: 1, size: head.size, etag: '' }] : [],
      url: put.url,
      headers: put.headers,
      expiresAt: put.expiresAt.toISOString(),
    };
  }

  /**
   * Finishes an upload: joins the parts, then checks the stored size and sha256 with a streamed
   * read through the driver (never buffering the object). A mismatch marks it `upload_failed`.
   */
  async complete(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: ArtifactCompleteDto,
  ): Promise<ArtifactResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'create']);
    const a = await this.pending(orbitId, id);
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    if (a.upload_id) {
      const parts =
        dto.parts ??
        (await driver.listParts(a.storage_key, a.upload_id)).map((p) => ({
          partNumber: p.partNumber,
          etag: p.etag,
        }));
      await driver.completeMultipart(a.storage_key, a.upload_id, parts);
    } else if (dto.parts) {
      throw new UploadNotMultipart();
    }
    const head = await driver.head(a.storage_key);
    if (!head)
      return this.fail(ctx, a, driver, 'The file has not been uploaded', {
        expectedSize: a.size,
        actualSize: null,
      });
    if (head.size !== a.size)
      return this.fail(
        ctx,
        a,
        driver,
        `Stored size ${head.size} differs from the declared ${a.size}`,
        { expectedSize: a.size, actualSize: head.size },
      );
    const hash = createHash('sha256');
    await pipeline(await driver.read(a.storage_key), hash);
    const sha256 = hash.digest('hex');
    if (sha256 !== a.sha256)
      return this.fail(ctx, a, driver, 'Stored sha256 differs from the declared one', {
        expectedSha256: a.sha256,
        actualSha256: sha256,
      });

    const found = await this.manifests.inspect(
      driver,
      a.storage_key,
      a.size,
      a.file_name,
      a.format as Artifact['format'],
    );
    const manifest = {
      ...a.manifest,
      ...found.manifest,
      ...(found.error ? { headerError: found.error } : {}),
    };
    await this.db.transaction(async (m) => {
      const r = await m.update(
        Artifact,
        { id, orbitId, status: 'pending_upload' },
        {
          status: 'uploaded',
          uploadedAt: new Date(),
          uploadId: null,
          format: found.format,
          manifest,
        },
      );
      if (!r.affected)
        throw new ArtifactStatusConflict((await this.row(orbitId, id)).status, 'pending_upload');
      await this.audit.record(
        ctx,
        {
          action: 'artifact.upload_complete',
          resourceType: 'artifact',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { size: a.size, sha256, format: found.format },
        },
        m,
      );
      await this.webhooks.emit(
        ctx,
        orbitId,
        'artifact.uploaded',
        {
          artifactId: id,
          name: a.name,
          collectionId: a.collection_id,
          size: a.size,
          sha256,
          format: found.format,
        },
        m,
      );
    });
    return toResponse(await this.row(orbitId, id));
  }

  async abort(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<ArtifactResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'create']);
    const a = await this.pending(orbitId, id);
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    await this.db.transaction(async (m) => {
      const r = await m.update(
        Artifact,
        { id, orbitId, status: 'pending_upload' },
        { status: 'upload_failed', statusReason: 'Upload aborted', uploadId: null },
      );
      if (!r.affected)
        throw new ArtifactStatusConflict((await this.row(orbitId, id)).status, 'pending_upload');
      await this.audit.record(
        ctx,
        {
          action: 'artifact.upload_abort',
          resourceType: 'artifact',
          resourceId: id,
          organizationId: orgId,
          orbitId,
        },
        m,
      );
    });
    await releaseUpload(driver, a);
    return toResponse(await this.row(orbitId, id));
  }

  /**
   * Fails uploads created before `before` and never completed, and frees what storage holds of
   * them (the upload sweeper calls this). Rows are claimed with SKIP LOCKED, so several API
   * instances can sweep at once.
   */
  async reapAbandonedUploads(before: Date, limit: number): Promise<number> {
    const ctx = systemContext('upload-sweeper');
    const reaped = await this.db.transaction(async (m) => {
      const rows: ArtifactRow[] = await m.query(
        `SELECT ${COLUMNS} FROM artifacts a WHERE a.status = 'pending_upload' AND a.created_at < $1
          ORDER BY a.created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [before, limit],
      );
      for (const a of rows) {
        await m.update(
          Artifact,
          { id: a.id },
          {
            status: 'upload_failed',
            statusReason: 'Upload abandoned: not completed in time',
            uploadId: null,
          },
        );
        await this.audit.record(
          ctx,
          {
            action: 'artifact.upload_expired',
            resourceType: 'artifact',
            resourceId: a.id,
            organizationId: a.organization_id,
            orbitId: a.orbit_id,
          },
          m,
        );
      }
      return rows;
    });
    for (const a of reaped) {
      try {
        await releaseUpload(await this.drivers.forBackend(a.storage_backend_id), a);
      } catch (e) {
        this.logger.warn(
          `Could not free the abandoned upload of artifact ${a.id}: ${ensureError(e).message}`,
        );
      }
    }
    return reaped.length;
  }

  async downloadUrl(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<DownloadUrlDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'read']);
    const a = await this.row(orbitId, id);
    if (a.status !== 'uploaded') throw new ArtifactStatusConflict(a.status, 'uploaded');
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    const s = await driver.signGet(a.storage_key, {
      ttlSec: this.config.signedUrlTtlSec,
      fileName: a.file_name,
    });
    return {
      url: s.url,
      expiresAt: s.expiresAt.toISOString(),
      size: a.size,
      sha256: a.sha256,
      fileName: a.file_name,
    };
  }

  async get(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
  ): Promise<ArtifactResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'read']);
    return toResponse(await this.row(orbitId, id));
  }

  /**
   * Orbit-wide list. Sorting by `metrics.<key>` walks `artifact_metrics` in value order (artifacts
   * with the key), then the artifacts without it by id: NULLS LAST with a stable tiebreak, and a
   * keyset cursor `['v', value, id]` or `['n', id]` bound to the query's scope.
   */
  async list(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    q: ArtifactQueryDto,
  ): Promise<Page<ArtifactResponseDto>> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'list']);
    const limit = q.limit ?? 50;
    const sort = q.sort ?? 'created_at';
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const cmp = dir === 'DESC' ? '<' : '>';
    const tags = [...new Set(q.tag ?? [])].sort();
    const scope = JSON.stringify([
      'artifacts',
      orbitId,
      q.collectionId ?? null,
      q.type ?? null,
      q.format ?? null,
      q.status ?? null,
      tags,
      q.search ?? null,
      sort,
      dir,
    ]);
    const after = decodeCursor(q.cursor, scope);
    const params: unknown[] = [orbitId];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = ['a.orbit_id = $1'];
    if (q.collectionId) where.push(`a.collection_id = ${p(q.collectionId)}`);
    if (q.type) where.push(`a.type = ${p(q.type)}`);
    if (q.format) where.push(`a.format = ${p(q.format)}`);
    if (q.status) where.push(`a.status = ${p(q.status)}`);
    if (tags.length) where.push(`a.tags @> ${p(tags)}::text[]`);
    if (q.search) {
      const s = p(likeContains(q.search));
      where.push(`(a.name ILIKE ${s} OR a.description ILIKE ${s} OR a.file_name ILIKE ${s})`);
    }

    if (!sort.startsWith('metrics.')) {
      const col = COLUMN_SORTS[sort]!;
      const cond = [...where];
      if (after) {
        if (after.length !== 2) throw new ValidationCursor();
        checkCursorValue(col.cast, after[0]);
        checkCursorValue('uuid', after[1]);
        cond.push(`(${col.expr}, a.id) ${cmp} (${p(after[0])}::${col.cast}, ${p(after[1])}::uuid)`);
      }
      const rows: (ArtifactRow & { sort_key: string })[] = await this.db.query(
        `SELECT ${COLUMNS}, ${col.expr}::text AS sort_key FROM artifacts a WHERE ${cond.join(' AND ')}
          ORDER BY ${col.expr} ${dir}, a.id ${dir} LIMIT ${limit + 1}`,
        params,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toResponse),
        nextCursor:
          rows.length > limit && last ? encodeCursor(scope, [last.sort_key, last.id]) : null,
      };
    }

    const key = p(sort.slice('metrics.'.length));
    const phase = after?.[0];
    if (after && !((phase === 'v' && after.length === 3) || (phase === 'n' && after.length === 2)))
      throw new ValidationCursor();
    type Item = { row: ArtifactRow; cursor: unknown[] };
    const items: Item[] = [];
    if (!after || phase === 'v') {
      const cond = [...where, `m.orbit_id = $1`, `m.key = ${key}`];
      const own = [...params];
      if (after) {
        checkCursorValue('float8', after[1]);
        checkCursorValue('uuid', after[2]);
        cond.push(
          `(m.value, m.artifact_id) ${cmp} ($${own.push(after[1])}::float8, $${own.push(after[2])}::uuid)`,
        );
      }
      const rows: (ArtifactRow & { sort_value: number })[] = await this.db.query(
        `SELECT ${COLUMNS}, m.value AS sort_value FROM artifact_metrics m JOIN artifacts a ON a.id = m.artifact_id
          WHERE ${cond.join(' AND ')} ORDER BY m.value ${dir}, m.artifact_id ${dir} LIMIT ${limit + 1}`,
        own,
      );
      for (const r of rows) items.push({ row: r, cursor: ['v', r.sort_value, r.id] });
    }
    if (items.length <= limit) {
      const cond = [
        ...where,
        `NOT EXISTS (SELECT 1 FROM artifact_metrics m WHERE m.artifact_id = a.id AND m.key = ${key})`,
      ];
      const own = [...params];
      if (after && phase === 'n') {
        checkCursorValue('uuid', after[1]);
        cond.push(`a.id ${cmp} $${own.push(after[1])}::uuid`);
      }
      const rows: ArtifactRow[] = await this.db.query(
        `SELECT ${COLUMNS} FROM artifacts a WHERE ${cond.join(' AND ')} ORDER BY a.id ${dir} LIMIT ${limit + 1 - items.length}`,
        own,
      );
      for (const r of rows) items.push({ row: r, cursor: ['n', r.id] });
    }
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((i) => toResponse(i.row)),
      nextCursor: items.length > limit && last ? encodeCursor(scope, last.cursor) : null,
    };
  }

  async update(
    ctx: RequestContext,
    orgId: string,
    orbitId: string,
    id: string,
    dto: ArtifactUpdateDto,
  ): Promise<ArtifactResponseDto> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'update']);
    await this.db.transaction(async (m) => {
      await this.lock(m, orbitId, id);
      const patch: Partial<Artifact> = {};
      if (dto.name !== undefined) patch.name = dto.name.trim();
      if (dto.description !== undefined) patch.description = dto.description;
      if (dto.tags !== undefined) patch.tags = dto.tags;
      if (dto.metrics !== undefined) patch.metrics = dto.metrics;
      if (Object.keys(patch).length) await m.update(Artifact, { id, orbitId }, patch);
      await this.audit.record(
        ctx,
        {
          action: 'artifact.update',
          resourceType: 'artifact',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { fields: Object.keys(patch) },
        },
        m,
      );
    });
    return toResponse(await this.row(orbitId, id));
  }

  /**
   * Deletes an artifact and its stored bytes. Refused (409 `artifact_in_use`) while a registered
   * dependency check reports a dependent. The row is marked `pending_deletion` first, so a storage
   * failure leaves a visible, retryable state rather than an orphaned object.
   */
  async delete(ctx: RequestContext, orgId: string, orbitId: string, id: string): Promise<void> {
    await this.access.orbit(ctx, orgId, orbitId, ['artifact', 'delete']);
    const a = await this.db.transaction(async (m) => {
      const row = await this.lock(m, orbitId, id);
      const dependents: string[] = [];
      for (const check of this.dependencyChecks.values())
        dependents.push(...(await check(m, { id, orbitId })));
      if (dependents.length) throw new ArtifactInUse(dependents);
      await m.update(Artifact, { id, orbitId }, { status: 'pending_deletion' });
      await this.audit.record(
        ctx,
        {
          action: 'artifact.delete',
          resourceType: 'artifact',
          resourceId: id,
          organizationId: orgId,
          orbitId,
          details: { name: row.name, size: row.size },
        },
        m,
      );
      return row;
    });
    const driver = await this.drivers.forBackend(a.storage_backend_id);
    if (a.upload_id) await driver.abortMultipart(a.storage_key, a.upload_id);
    await driver.delete(a.storage_key);
    await this.db.query('DELETE FROM artifacts WHERE id = $1 AND orbit_id = $2', [id, orbitId]);
  }

  /** Part size for a multipart upload: the configured size, raised (in whole MiB) to fit 10,000 parts. */
  private partSizeFor(size: number): number {
    const min = Math.ceil(size / MAX_PARTS / MIB) * MIB;
    return Math.max(this.config.partSizeBytes, min);
  }

  private async fail(
    ctx: RequestContext,
    a: ArtifactRow,
    driver: StorageDriver,
    reason: string,
    details: Record<string, unknown>,
  ): Promise<never> {
    await this.db.transaction(async (m) => {
      const r = await m.update(
        Artifact,
        { id: a.id, orbitId: a.orbit_id, status: 'pending_upload' },
        { status: 'upload_failed', statusReason: reason, uploadId: null },
      );
      if (r.affected) {
        await this.audit.record(
          ctx,
          {
            action: 'artifact.upload_failed',
            resourceType: 'artifact',
            resourceId: a.id,
            organizationId: a.organization_id,
            orbitId: a.orbit_id,
            details: { reason, ...details },
          },
          m,
        );
      }
    });
    // The wrong bytes are of no use to anyone: free the space.
    await driver
      .delete(a.storage_key)
      .catch((e: unknown) =>
        this.logger.warn(
          `Could not delete the failed upload ${a.storage_key}: ${ensureError(e).message}`,
        ),
      );
    throw new UploadVerificationFailed(`Upload verification failed: ${reason}`, {
      artifactId: a.id,
      ...details,
    });
  }

  private async pending(orbitId: string, id: string): Promise<ArtifactRow> {
    const a = await this.row(orbitId, id);
    if (a.status !== 'pending_upload') throw new ArtifactStatusConflict(a.status, 'pending_upload');
    return a;
  }

  private async lock(m: EntityManager, orbitId: string, id: string): Promise<ArtifactRow> {
    const rows: ArtifactRow[] = await m.query(
      `SELECT ${COLUMNS} FROM artifacts a WHERE a.id = $1 AND a.orbit_id = $2 FOR UPDATE`,
      [id, orbitId],
    );
    if (!rows[0]) throw new ArtifactNotFound(id);
    return rows[0];
  }

  private async row(orbitId: string, id: string): Promise<ArtifactRow> {
    const rows: ArtifactRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM artifacts a WHERE a.id = $1 AND a.orbit_id = $2`,
      [id, orbitId],
    );
    if (!rows[0]) throw new ArtifactNotFound(id);
    return rows[0];
  }
}

/** Aborts a multipart upload, or deletes a partial single-PUT object. */
async function releaseUpload(driver: StorageDriver, a: ArtifactRow): Promise<void> {
  if (a.upload_id) await driver.abortMultipart(a.storage_key, a.upload_id);
  else await driver.delete(a.storage_key);
}

/** A file name made safe for every store's keys: ASCII letters, digits, `. _ -`. */
function safeFileName(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-200);
  return s || 'file';
}

function toResponse(r: ArtifactRow): ArtifactResponseDto {
  return {
    id: r.id,
    organizationId: r.organization_id,
    orbitId: r.orbit_id,
    collectionId: r.collection_id,
    name: r.name,
    description: r.description,
    type: r.type,
    format: r.format,
    fileName: r.file_name,
    contentType: r.content_type,
    size: Number(r.size),
    sha256: r.sha256,
    status: r.status,
    statusReason: r.status_reason,
    manifest: r.manifest,
    metrics: r.metrics,
    tags: r.tags,
    createdBy: r.created_by,
    uploadedAt: r.uploaded_at ? new Date(r.uploaded_at).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
