import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createApp } from './app.factory.js';
import { loadConfig } from './config/config.js';

/** Builds the OpenAPI document from the code, on a throwaway embedded database. */
export async function generateOpenApi(): Promise<OpenAPIObject> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apogee-openapi-'));
  const config = loadConfig({
    APOGEE_DATA_DIR: dataDir,
    APOGEE_SECRET_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
  });
  const { app, document } = await createApp(config);
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return document;
}

export function serializeOpenApi(doc: OpenAPIObject): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
