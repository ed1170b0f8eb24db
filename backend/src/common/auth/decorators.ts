import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { Forbidden, Unauthenticated } from '../errors.js';
import type { RequestContext, SatellitePrincipal, UserPrincipal } from './principal.js';

export const IS_PUBLIC = 'apogee:public';
export const PRINCIPAL_KINDS = 'apogee:principal-kinds';

/** The route needs no authentication. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** The route is for satellites (`sat_` keys) only; user routes reject satellites by default. */
export const SatelliteOnly = () => SetMetadata(PRINCIPAL_KINDS, ['satellite']);
/** The route accepts users (JWT or API key) and satellites. */
export const UserOrSatellite = () => SetMetadata(PRINCIPAL_KINDS, ['user', 'satellite']);
/** The route accepts only a signed-in session (JWT), not an API key — e.g. creating API keys. */
export const SessionOnly = () => SetMetadata('apogee:session-only', true);

function contextOf(ctx: ExecutionContext): RequestContext {
  const req = ctx.switchToHttp().getRequest<Request>();
  if (!req.apogee) throw new Unauthenticated();
  return req.apogee;
}

/** Injects the caller's {@link RequestContext}. */
export const Ctx = createParamDecorator((_: unknown, ctx: ExecutionContext) => contextOf(ctx));

/** Injects the caller as a user, narrowing the principal type. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): UserPrincipal => {
    const p = contextOf(ctx).principal;
    if (p.kind !== 'user') throw new Forbidden('This route is for users');
    return p;
  },
);

/** Injects the caller as a satellite. */
export const CurrentSatellite = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): SatellitePrincipal => {
    const p = contextOf(ctx).principal;
    if (p.kind !== 'satellite') throw new Forbidden('This route is for satellites');
    return p;
  },
);
