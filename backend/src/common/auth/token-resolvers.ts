import { Injectable } from '@nestjs/common';
import type { Principal } from './principal.js';

/** Turns a bearer token with a given prefix into a principal, or null when it is not valid. */
export interface TokenResolver {
  prefix: string;
  resolve(token: string): Promise<Principal | null>;
}

/**
 * Feature modules register how their tokens authenticate (`apg_` API keys, `sat_` satellite
 * keys); anything without a registered prefix is treated as a JWT access token.
 */
@Injectable()
export class TokenResolvers {
  private readonly resolvers: TokenResolver[] = [];
  private jwt?: TokenResolver['resolve'];

  register(resolver: TokenResolver): void {
    this.resolvers.push(resolver);
  }

  registerJwt(resolve: TokenResolver['resolve']): void {
    this.jwt = resolve;
  }

  async resolve(token: string): Promise<Principal | null> {
    const r = this.resolvers.find((x) => token.startsWith(x.prefix));
    if (r) return r.resolve(token);
    return this.jwt ? this.jwt(token) : null;
  }
}
