import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { NotFound } from '../common/errors.js';
import { StorageBackend } from './storage-backend.entity.js';

export const LOCAL_BACKEND_NAME = 'local';

/** The organization's storage backends. Full CRUD and the S3/Azure drivers build on this. */
@Injectable()
export class StorageBackendsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every organization starts with the embedded local-disk backend. */
  async createLocalDefault(m: EntityManager, organizationId: string): Promise<string> {
    const r = await m.insert(StorageBackend, { organizationId, name: LOCAL_BACKEND_NAME, kind: 'local', config: {}, credentialsEncrypted: null });
    return r.identifiers[0]!.id as string;
  }

  /** The backend new orbits use when none is named: the oldest one. */
  async defaultFor(m: EntityManager, organizationId: string): Promise<string> {
    const row = await m.getRepository(StorageBackend).findOne({ where: { organizationId }, order: { createdAt: 'ASC' } });
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
}
