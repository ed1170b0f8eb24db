/** Who is calling. Resolved once per request by the global auth guard. */
export type Principal = UserPrincipal | SatellitePrincipal;

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  /** How the user authenticated: a JWT access token (browser/CLI login) or an API key. */
  via: 'jwt' | 'api_key';
  /** Set when `via` is `api_key`: the key and its optional scope. */
  apiKey?: { id: string; organizationId: string | null; orbitId: string | null };
}

export interface SatellitePrincipal {
  kind: 'satellite';
  satelliteId: string;
  organizationId: string;
  orbitId: string;
}

/** The caller's context, passed first to every service method (Vendure's `ctx`). */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  ip: string;
}

/** Context for work the platform does on its own (bootstrap, background jobs). */
export function systemContext(requestId = 'system'): RequestContext {
  return {
    principal: {
      kind: 'user',
      userId: '00000000-0000-0000-0000-000000000000',
      email: 'system',
      via: 'jwt',
    },
    requestId,
    ip: '',
  };
}
