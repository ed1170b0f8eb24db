import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccessModule } from './access/access.module.js';
import { ArtifactsModule } from './artifacts/artifacts.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthGuard } from './common/auth/auth.guard.js';
import { AuthCoreModule } from './common/auth/auth-core.module.js';
import { CollectionsModule } from './collections/collections.module.js';
import { ErrorFilter } from './common/error.filter.js';
import type { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DeploymentsModule } from './deployments/deployments.module.js';
import { HealthModule } from './health/health.module.js';
import { LineageModule } from './lineage/lineage.module.js';
import { ModelsModule } from './models/models.module.js';
import { OrbitsModule } from './orbits/orbits.module.js';
import { OrganizationsModule } from './organizations/organizations.module.js';
import { SatellitesModule } from './satellites/satellites.module.js';
import { SearchModule } from './search/search.module.js';
import { OrbitSecretsModule } from './secrets/orbit-secrets.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { TracksModule } from './tracks/tracks.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/** Feature modules, in the order their routes should appear in the OpenAPI document. */
export const FEATURE_MODULES = [
  HealthModule,
  UsersModule,
  OrganizationsModule,
  OrbitsModule,
  StorageModule,
  CollectionsModule,
  LineageModule,
  ArtifactsModule,
  OrbitSecretsModule,
  SatellitesModule,
  DeploymentsModule,
  ModelsModule,
  TasksModule,
  TracksModule,
  WebhooksModule,
  SearchModule,
  AuditModule,
];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        AuthCoreModule,
        AccessModule,
        ...FEATURE_MODULES,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
