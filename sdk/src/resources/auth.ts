import type { RequestOptions } from '../core/http.js';
import type { Session, SigninParams, SignupParams } from '../types.js';
import { APIResource } from './resource.js';

/**
 * Accounts and sessions. A session's `accessToken` authenticates like an API key:
 * `client.apiKey = session.accessToken` or `client.withOptions({ apiKey: session.accessToken })`.
 */
export class Auth extends APIResource {
  /** Creates an account and signs it in. `POST /v1/auth/signup`. */
  signup(params: SignupParams, opts?: RequestOptions): Promise<Session> {
    return this._client.post('/v1/auth/signup', params, opts);
  }

  /** Signs in with email and password. `POST /v1/auth/signin`. */
  signin(params: SigninParams, opts?: RequestOptions): Promise<Session> {
    return this._client.post('/v1/auth/signin', params, opts);
  }

  /** Trades a single-use refresh token for a new session. `POST /v1/auth/refresh`. */
  refresh(refreshToken: string, opts?: RequestOptions): Promise<Session> {
    return this._client.post('/v1/auth/refresh', { refreshToken }, opts);
  }

  /** Ends the session of `refreshToken` (or the caller's). `POST /v1/auth/signout`. */
  async signout(refreshToken?: string, opts?: RequestOptions): Promise<void> {
    await this._client.post('/v1/auth/signout', refreshToken ? { refreshToken } : {}, opts);
  }
}
