import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { bearerToken } from '../common/auth/auth.guard.js';
import { InferenceProxy } from './inference-proxy.service.js';
import { InferenceRouteCache } from './inference-route-cache.js';

const ROUTE =
  /^\/v1\/organizations\/([^/]+)\/orbits\/([^/]+)\/deployments\/([^/]+)\/(predict|proxy(\/[^?]*)?)(\?.*)?$/;

/**
 * Inference requests whose caller was checked for this deployment moments ago go straight to the
 * proxy, before guards and the database; everything else takes the normal route (which checks
 * and remembers). Keeps the API's own overhead on inference to the proxying itself.
 */
@Injectable()
export class InferenceFastPath implements NestMiddleware {
  constructor(
    private readonly cache: InferenceRouteCache,
    private readonly proxy: InferenceProxy,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const m = ROUTE.exec(req.originalUrl);
    const token = m ? bearerToken(req) : null;
    const target = m && token ? this.cache.get(token, m[1]!, m[2]!, m[3]!) : null;
    if (!m || !target) return next();
    const path = m[4] === 'predict' ? '/predict' : (m[5] ?? '/');
    this.proxy.forward(req, res, target, `${path}${m[6] ?? ''}`);
  }
}
