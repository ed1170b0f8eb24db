import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/config.js';
import { secretKeyFromDataDir } from './config/secret-file.js';
import { BootstrapService } from './users/bootstrap.service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, secretKeyFromDataDir);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const { app, logger } = await createApp(config);
  const admin = await app.get(BootstrapService).ensureAdmin();
  await app.listen(config.port, config.host);
  const db = config.databaseUrl ? 'PostgreSQL' : `PGlite (${config.dataDir}/pgdata)`;
  logger.info({ port: config.port, database: db }, 'Apogee API listening');
  const lines = [
    '',
    `  Apogee is running at ${config.publicUrl}`,
    `  API docs:            ${config.publicUrl}/api/docs`,
    `  Database:            ${db}`,
  ];
  if (admin.created) {
    lines.push(`  Sign in as:          ${admin.email}`);
    lines.push(
      admin.password
        ? `  Password:            ${admin.password}   (generated; shown only this once)`
        : '  Password:            (APOGEE_ADMIN_PASSWORD)',
    );
  } else {
    lines.push(`  Bootstrap admin:     ${admin.email} (already created)`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

main().catch((e: unknown) => {
  process.stderr.write(
    `Apogee failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
