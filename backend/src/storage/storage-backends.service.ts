import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/auth/principal.js';
import { Conflict, NotFound, ValidationFailed, isUniqueViolation } from '../common/errors.js';
import { resolveAzure, type AzureCredentials, type AzureSettings } from './azure.driver.js';
import type {
  AzureSettingsUpdateDto,
  S3SettingsUpdateDto,
  StorageBackendCreateDto,
  StorageBackendResponseDto,
  StorageBackendTestDto,
  StorageBackendUpdateDto,
  StorageConnectionTestResponseDto,
} from './dto/storage-backend.dto.js';
import { remoteDriver, RemoteDriversService, type RemoteSpec } from './remote-drivers.service.js';
import type { S3Credentials, S3Settings } from './s3.driver.js';
import { StorageBackend, type StorageKind } from './storage-backend.entity.js';
import type { ConnectionCheck } from './storage-driver.js';
import { StorageDriversService } from './storage-drivers.service.js';

export const LOCAL_BACKEND_NAME = 'local';

const S3_CREDENTIALS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;
const AZURE_CREDENTIALS = ['connectionString', 'accountKey', 'sasToken'] as const;
/** Settings that say where the bytes are: they cannot change under stored artifacts. */
const LOCATION_FIELDS = ['endpoint', 'bucket', 'prefix', 'accountUrl', 'container', 'accountName'];

interface BackendRow {
  id: string;
  organization_id: string;
  name: string;
  kind: StorageKind;
  config: Record<string, unknown>;
  credentials_encrypted: string | null;
  created_at: Date;
  updated_at: Date;
  orbits_count: number;
}

/** The organization's storage backends: the built-in local disk plus any S3 or Azure stores. */
@Injectable()
export class StorageBackendsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly remote: RemoteDriversService,
    private readonly drivers: StorageDriversService,
  ) {}

  /** Every organization starts with the embedded local-disk backend. */
  async createLocalDefault(m: EntityManager, organizationId: string): Promise<string> {
    const r = await m.insert(StorageBackend, {
      organizationId,
      name: LOCAL_BACKEND_NAME,
      kind: 'local',
      config: {},
      credentialsEncrypted: null,
    });
    return r.identifiers[0]!.id as string;
  }

  /** The backend new orbits use when none is named: the oldest one. */
  async defaultFor(m: EntityManager, organizationId: string): Promise<string> {
    const row = await m
      .getRepository(StorageBackend)
      .findOne({ where: { organizationId }, order: { createdAt: 'ASC' } });
    if (!row) throw new NotFound('Storage backend');
    return row.id;
  }

  /** Checks a backend belongs to the organization (orbits may only bind their own org's backends). */
  async assertInOrganization(m: EntityManager, organizationId: string, id: string): Promise<void> {
    const n = await m.getRepository(StorageBackend).countBy({ id, organizationId });
    if (!n) throw new NotFound('Storage backend', id);
  }

  get manager(): EntityManager {
    return this.db.manager;
  }

  async list(ctx: RequestContext, orgId: string): Promise<StorageBackendResponseDto[]> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'list']);
    const rows = await this.rows('b.organization_id = $1', [orgId]);
    return rows.map((r) => this.toResponse(r));
  }

  async get(ctx: RequestContext, orgId: string, id: string): Promise<StorageBackendResponseDto> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'read']);
    return this.toResponse(await this.row(orgId, id));
  }

  async create(
    ctx: RequestContext,
    orgId: string,
    dto: StorageBackendCreateDto,
  ): Promise<StorageBackendResponseDto> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'create']);
    const spec = specFromDto(dto);
    const id = await this.db.transaction(async (m) => {
      try {
        const r = await m.insert(StorageBackend, {
          organizationId: orgId,
          name: dto.name.trim(),
          kind: spec.kind,
          config: spec.settings as object,
          credentialsEncrypted: this.remote.seal(spec.credentials),
        });
        const backendId = r.identifiers[0]!.id as string;
        await this.audit.record(
          ctx,
          {
            action: 'storage_backend.create',
            resourceType: 'storage_backend',
            resourceId: backendId,
            organizationId: orgId,
            details: { name: dto.name, kind: spec.kind, settings: spec.settings },
          },
          m,
        );
        return backendId;
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'storage_backend_name_taken',
            `A storage backend named "${dto.name}" already exists in this organization`,
          );
        throw e;
      }
    });
    return this.toResponse(await this.row(orgId, id));
  }

  /** Renames or reconfigures a backend. Credentials left out are kept; the location cannot move under stored artifacts. */
  async update(
    ctx: RequestContext,
    orgId: string,
    id: string,
    dto: StorageBackendUpdateDto,
  ): Promise<StorageBackendResponseDto> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'update']);
    await this.db.transaction(async (m) => {
      const rows: BackendRow[] = await m.query(
        'SELECT * FROM storage_backends WHERE id = $1 AND organization_id = $2 FOR UPDATE',
        [id, orgId],
      );
      const row = rows[0];
      if (!row) throw new NotFound('Storage backend', id);
      const patch: { name?: string; config?: object; credentialsEncrypted?: string } = {};
      const details: Record<string, unknown> = {};
      if (dto.name !== undefined) patch.name = details.name = dto.name.trim();
      const block = row.kind === 's3' ? dto.s3 : row.kind === 'azure' ? dto.azure : undefined;
      const other =
        row.kind === 's3' ? dto.azure : row.kind === 'azure' ? dto.s3 : (dto.s3 ?? dto.azure);
      if (other) {
        const field = dto.s3 ? 's3' : 'azure';
        throw new ValidationFailed(`A ${row.kind} backend has no ${field} settings`, [
          { field, problems: [`not allowed for a ${row.kind} backend`] },
        ]);
      }
      if (block) {
        const current = {
          ...row.config,
          ...this.remote.open<Record<string, string>>(row.credentials_encrypted),
        };
        const merged = { ...current, ...stripUndefined(block) };
        const spec = specFromDto({
          kind: row.kind as 's3' | 'azure',
          [row.kind]: merged,
        } as StorageBackendTestDto);
        const moved = LOCATION_FIELDS.filter(
          (f) => (spec.settings as unknown as Record<string, unknown>)[f] !== row.config[f],
        );
        if (moved.length) {
          const [{ n }] = (await m.query(
            'SELECT count(*)::int AS n FROM artifacts a JOIN orbits o ON o.id = a.orbit_id WHERE o.storage_backend_id = $1',
            [id],
          )) as [{ n: number }];
          if (n > 0)
            throw new Conflict(
              'storage_backend_has_artifacts',
              `${moved.join(', ')} cannot change while orbits on this backend hold ${n} artifact(s)`,
            );
        }
        patch.config = spec.settings;
        patch.credentialsEncrypted = this.remote.seal(spec.credentials);
        details.settings = spec.settings;
        details.credentialsChanged = Object.keys(block).some((k) =>
          [...S3_CREDENTIALS, ...AZURE_CREDENTIALS].includes(k as never),
        );
      }
      try {
        if (Object.keys(patch).length)
          await m.update(StorageBackend, { id, organizationId: orgId }, patch);
      } catch (e) {
        if (isUniqueViolation(e))
          throw new Conflict(
            'storage_backend_name_taken',
            `A storage backend named "${dto.name}" already exists in this organization`,
          );
        throw e;
      }
      await this.audit.record(
        ctx,
        {
          action: 'storage_backend.update',
          resourceType: 'storage_backend',
          resourceId: id,
          organizationId: orgId,
          details,
        },
        m,
      );
    });
    return this.toResponse(await this.row(orgId, id));
  }

  /** Deletes an unused S3/Azure backend; refused (409) while an orbit is bound to it, and for the built-in local disk. */
  async delete(ctx: RequestContext, orgId: string, id: string): Promise<void> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'delete']);
    await this.db.transaction(async (m) => {
      const rows: BackendRow[] = await m.query(
        'SELECT * FROM storage_backends WHERE id = $1 AND organization_id = $2 FOR UPDATE',
        [id, orgId],
      );
      const row = rows[0];
      if (!row) throw new NotFound('Storage backend', id);
      if (row.kind === 'local')
        throw new Conflict(
          'storage_backend_built_in',
          'The built-in local-disk backend cannot be deleted',
        );
      const orbits: { name: string }[] = await m.query(
        'SELECT name FROM orbits WHERE storage_backend_id = $1 ORDER BY name',
        [id],
      );
      if (orbits.length) {
        throw new Conflict(
          'storage_backend_in_use',
          `The storage backend is used by ${orbits.length} orbit(s): ${orbits.map((o) => o.name).join(', ')}`,
          { orbits: orbits.map((o) => o.name) },
        );
      }
      await this.audit.record(
        ctx,
        {
          action: 'storage_backend.delete',
          resourceType: 'storage_backend',
          resourceId: id,
          organizationId: orgId,
          details: { name: row.name, kind: row.kind },
        },
        m,
      );
      try {
        await m.delete(StorageBackend, { id, organizationId: orgId });
      } catch (e) {
        // An orbit bound to it between our check and the delete (FK ON DELETE RESTRICT).
        if ((e as { driverError?: { code?: string } }).driverError?.code === '23503')
          throw new Conflict('storage_backend_in_use', 'The storage backend is used by an orbit');
        throw e;
      }
    });
  }

  /** Runs the connection test of a saved backend with its stored credentials. */
  async test(
    ctx: RequestContext,
    orgId: string,
    id: string,
  ): Promise<StorageConnectionTestResponseDto> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'update']);
    const row = await this.row(orgId, id);
    const driver =
      row.kind === 'local'
        ? await this.drivers.forBackend(id)
        : await this.remote.driver(id, { probe: true });
    return toTestResponse(await driver.testConnection());
  }

  /** Runs the connection test of a configuration before it is saved. */
  async testUnsaved(
    ctx: RequestContext,
    orgId: string,
    dto: StorageBackendTestDto,
  ): Promise<StorageConnectionTestResponseDto> {
    await this.access.organization(ctx, orgId, ['storage_backend', 'create']);
    return toTestResponse(await remoteDriver(specFromDto(dto), { probe: true }).testConnection());
  }

  private async row(orgId: string, id: string): Promise<BackendRow> {
    const rows = await this.rows('b.organization_id = $1 AND b.id = $2', [orgId, id]);
    if (!rows[0]) throw new NotFound('Storage backend', id);
    return rows[0];
  }

  private rows(where: string, params: unknown[]): Promise<BackendRow[]> {
    return this.db.query(
      `SELECT b.*, (SELECT count(*)::int FROM orbits o WHERE o.storage_backend_id = b.id) AS orbits_count
         FROM storage_backends b WHERE ${where} ORDER BY b.created_at, b.id`,
      params,
    );
  }

  private toResponse(r: BackendRow): StorageBackendResponseDto {
    const creds = this.remote.open<Record<string, unknown>>(r.credentials_encrypted);
    return {
      id: r.id,
      organizationId: r.organization_id,
      name: r.name,
      kind: r.kind,
      settings: r.config,
      credentialFields: Object.keys(creds).filter((k) => creds[k] !== undefined && creds[k] !== ''),
      orbitsCount: r.orbits_count,
      builtIn: r.kind === 'local',
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }
}

/** Splits a validated settings block into stored settings and sealed credentials; 400 naming what is missing. */
function specFromDto(dto: StorageBackendTestDto): RemoteSpec {
  const other = dto.kind === 's3' ? 'azure' : 's3';
  if (dto[other])
    throw new ValidationFailed(`Settings for ${other} given for a ${dto.kind} backend`, [
      { field: other, problems: [`not allowed when kind is ${dto.kind}`] },
    ]);
  if (dto.kind === 's3') {
    const s = dto.s3 as S3SettingsUpdateDto | undefined;
    const missing = s
      ? (['bucket', 'accessKeyId', 'secretAccessKey'] as const).filter((f) => !s[f])
      : ['s3'];
    if (!s || missing.length)
      throw new ValidationFailed(
        `Missing S3 settings: ${missing.join(', ')}`,
        missing.map((f) => ({ field: f === 's3' ? f : `s3.${f}`, problems: ['is required'] })),
      );
    const settings: S3Settings = stripUndefined({
      endpoint: s.endpoint?.replace(/\/+$/, '') || undefined,
      region: s.region || 'us-east-1',
      bucket: s.bucket!,
      pathStyle: s.pathStyle ?? Boolean(s.endpoint),
      verifyTls: s.verifyTls ?? true,
      prefix: s.prefix || undefined,
    });
    const credentials: S3Credentials = stripUndefined({
      accessKeyId: s.accessKeyId!,
      secretAccessKey: s.secretAccessKey!,
      sessionToken: s.sessionToken || undefined,
    });
    return { kind: 's3', settings, credentials };
  }
  const a = dto.azure as AzureSettingsUpdateDto | undefined;
  if (!a?.container)
    throw new ValidationFailed('Missing Azure settings: container', [
      { field: a ? 'azure.container' : 'azure', problems: ['is required'] },
    ]);
  const settings: AzureSettings = stripUndefined({
    accountUrl: a.accountUrl?.replace(/\/+$/, '') || undefined,
    container: a.container,
    accountName: a.accountName || undefined,
    prefix: a.prefix || undefined,
  });
  const credentials: AzureCredentials = stripUndefined({
    connectionString: a.connectionString || undefined,
    accountKey: a.accountKey || undefined,
    sasToken: a.sasToken || undefined,
  });
  // Throws storage_config_invalid (400) naming the missing piece.
  resolveAzure(settings, credentials);
  return { kind: 'azure', settings, credentials };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function toTestResponse(checks: ConnectionCheck[]): StorageConnectionTestResponseDto {
  const failed = checks.find((c) => !c.ok);
  return {
    ok: !failed && checks.length === 4,
    ...(failed ? { failedStep: failed.step } : {}),
    checks,
  };
}
