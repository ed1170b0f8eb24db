import fs from 'node:fs';
import path from 'node:path';
import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { MIGRATIONS } from './migrations/index.js';

/** Which engine backs the data source: embedded PGlite (one connection) or a PostgreSQL server. */
export type DatabaseEngine =
  { kind: 'pglite'; pglite: PGlite; dataDir: string } | { kind: 'postgres'; url: string };

export const DATABASE_ENGINE = Symbol('DATABASE_ENGINE');

// BIGINT (int8) columns hold byte sizes: parse them as numbers (sizes stay below 2^53).
pg.types.setTypeParser(20, (v: string) => Number(v));

async function openEngine(config: AppConfig): Promise<DatabaseEngine> {
  if (config.databaseUrl) return { kind: 'postgres', url: config.databaseUrl };
  const dataDir = path.join(config.dataDir, 'pgdata');
  fs.mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  return { kind: 'pglite', pglite, dataDir };
}

export function dataSourceOptions(config: AppConfig, engine: DatabaseEngine): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    driver: pg,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto' as const,
    logging: false,
  };
  if (engine.kind === 'postgres') {
    return {
      ...common,
      url: engine.url,
      poolSize: config.dbPoolSize,
      extra: { idleTimeoutMillis: 30_000 },
    };
  }
  // PGlite is a single session: exactly one pooled client, never closed while idle.
  const pgConfig = createPgConfig(engine.pglite);
  return { ...common, extra: { connection: pgConfig.connection, max: 1, idleTimeoutMillis: 0 } };
}

class EngineCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.engine.kind === 'pglite' && !this.engine.pglite.closed)
      await this.engine.pglite.close();
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    // One engine per module instance, shared by the TypeORM data source and its closer.
    let engine: Promise<DatabaseEngine> | undefined;
    const engineProvider = {
      provide: DATABASE_ENGINE,
      useFactory: () => (engine ??= openEngine(config)),
    };
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          extraProviders: [engineProvider],
          inject: [DATABASE_ENGINE],
          useFactory: (engine: DatabaseEngine) => ({
            ...dataSourceOptions(config, engine),
            autoLoadEntities: true,
          }),
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            const ran = await ds.runMigrations({ transaction: 'each' });
            if (ran.length)
              new Logger('Database').log(
                `Applied ${ran.length} migration(s): ${ran.map((m) => m.name).join(', ')}`,
              );
            return ds;
          },
        }),
      ],
      providers: [engineProvider, EngineCloser],
      exports: [DATABASE_ENGINE],
    };
  }
}
