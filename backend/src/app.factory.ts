import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { createLogger, httpLogger, Metrics, requestId } from './common/observability.js';
import { createValidationPipe } from './common/validation.js';
import { STREAMED_BODY_PATH } from './deployments/inference-proxy.service.js';
import { PinoNestLogger } from './common/nest-logger.js';

export interface CreatedApp {
  app: NestExpressApplication;
  document: OpenAPIObject;
  logger: Logger;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Builds the whole API (not yet listening): middleware, validation, errors, OpenAPI, dashboard. */
export async function createApp(
  config: AppConfig,
  opts: { logger?: Logger } = {},
): Promise<CreatedApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(httpLogger(logger));
  app.use(app.get(Metrics).middleware());
  app.use(securityHeaders);
  app.use(cookieParser());
  // JSON bodies only where routes expect them; large uploads stream through dedicated routes.
  const json = express.json({ limit: '1mb' }) as unknown as express.RequestHandler;
  // Inference bodies stream through to the model untouched (deployments/inference-proxy.service.ts).
  app.use((req: Request, res: Response, next: NextFunction) =>
    STREAMED_BODY_PATH.test(req.path) ? next() : json(req, res, next),
  );
  if (config.corsOrigins.length)
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      exposedHeaders: ['X-Request-Id', 'ETag', 'Retry-After'],
    });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = buildOpenApi(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
  serveDashboard(app, config);
  return { app, document, logger };
}

export function buildOpenApi(app: NestExpressApplication): OpenAPIObject {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const cfg = new DocumentBuilder()
    .setTitle('Apogee API')
    .setDescription(
      'Model registry on your own object storage, satellites on your own GPU hosts, one OpenAI-compatible gateway.',
    )
    .setVersion(pkg.version)
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'JWT access token, `apg_` API key, or `sat_` satellite key',
    })
    .build();
  return SwaggerModule.createDocument(app, cfg, {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

/** Serves the built dashboard with an SPA fallback, when it has been built. */
function serveDashboard(app: NestExpressApplication, config: AppConfig): void {
  const dir = config.frontendDir ?? path.resolve(here, '..', '..', 'frontend', 'dist');
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) return;
  app.use(express.static(dir, { index: false, maxAge: '1h' }));
  const API = /^\/(v1|api|satellites|healthz|readyz|metrics)(\/|$)/;
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || API.test(req.path) || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
