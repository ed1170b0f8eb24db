import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { systemContext } from '../common/auth/principal.js';
import { OrganizationsService } from '../organizations/organizations.service.js';
import { SatellitesService } from '../satellites/satellites.service.js';
import { AuthService } from './auth.service.js';

/** What the first start created; `password` is set only when it was generated (print it once). */
export interface BootstrapResult {
  created: boolean;
  email: string;
  password: string | null;
  organizationId: string | null;
}

@Injectable()
export class BootstrapService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly auth: AuthService,
    private readonly organizations: OrganizationsService,
    private readonly satellites: SatellitesService,
  ) {}

  /** On an empty database, creates the admin with an organization and a default orbit. Idempotent. */
  async ensureAdmin(): Promise<BootstrapResult> {
    const [{ n }] = (await this.db.query('SELECT count(*)::int AS n FROM users')) as [
      { n: number },
    ];
    if (n > 0) {
      await this.satellites.ensureLocal(this.config.dataDir, this.config.adminEmail);
      return {
        created: false,
        email: this.config.adminEmail,
        password: null,
        organizationId: null,
      };
    }
    const generated = this.config.adminPassword ? null : randomBytes(12).toString('base64url');
    const password = this.config.adminPassword ?? generated!;
    const organizationId = await this.db.transaction(async (m) => {
      const user = await this.auth.createUser(m, this.config.adminEmail, password, 'Admin', true);
      const ctx = systemContext();
      return this.organizations.createPersonal(
        { ...ctx, principal: { kind: 'user', userId: user.id, email: user.email, via: 'jwt' } },
        m,
        user,
        'Default',
      );
    });
    // The local satellite `npm start` runs reads its key from the data dir.
    await this.satellites.ensureLocal(this.config.dataDir, this.config.adminEmail);
    return { created: true, email: this.config.adminEmail, password: generated, organizationId };
  }
}
