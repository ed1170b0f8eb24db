import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Forbidden, Unauthenticated } from '../errors.js';
import { IS_PUBLIC, PRINCIPAL_KINDS } from './decorators.js';
import type { Principal } from './principal.js';
import { TokenResolvers } from './token-resolvers.js';

export const ACCESS_COOKIE = 'apogee_access';

/** Reads `Authorization: Bearer …` (or the access cookie), resolves the principal, checks its kind. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: TokenResolvers,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const req = context.switchToHttp().getRequest<Request>();
    const token = bearerToken(req);
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    if (isPublic) {
      // Public routes still learn who is calling when a valid token is present.
      const principal = token ? await this.resolvers.resolve(token).catch(() => null) : null;
      if (principal) req.apogee = { principal, requestId: String(req.id), ip: req.ip ?? '' };
      return true;
    }
    if (!token) throw new Unauthenticated();
    const principal = await this.resolvers.resolve(token);
    if (!principal) throw new Unauthenticated('Invalid or expired credentials');
    const kinds = this.reflector.getAllAndOverride<Principal['kind'][]>(
      PRINCIPAL_KINDS,
      targets,
    ) ?? ['user'];
    if (!kinds.includes(principal.kind)) {
      throw new Forbidden(
        principal.kind === 'satellite'
          ? 'Satellite keys cannot call this route'
          : 'This route is for satellites',
      );
    }
    if (
      principal.kind === 'user' &&
      principal.via === 'api_key' &&
      this.reflector.getAllAndOverride<boolean>('apogee:session-only', targets)
    ) {
      throw new Forbidden('This action needs a signed-in session, not an API key');
    }
    req.apogee = { principal, requestId: String(req.id), ip: req.ip ?? '' };
    return true;
  }
}

export function bearerToken(req: Request): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1]! : null;
  }
  const cookies = (req as Request & { cookies?: Record<string, string> }).cookies;
  return cookies?.[ACCESS_COOKIE] ?? null;
}
