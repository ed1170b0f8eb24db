import type { RequestOptions } from '../core/http.js';
import type { PasswordChangeParams, User, UserUpdateParams } from '../types.js';
import { APIResource } from './resource.js';

/** The signed-in user. */
export class Users extends APIResource {
  /** Who the credentials belong to. `GET /v1/users/me`. */
  me(opts?: RequestOptions): Promise<User> {
    return this._client.get('/v1/users/me', opts);
  }

  /** Updates the signed-in user's profile. `PATCH /v1/users/me`. */
  update(params: UserUpdateParams, opts?: RequestOptions): Promise<User> {
    return this._client.patch('/v1/users/me', params, opts);
  }

  /** Changes the password; needs a session, not an API key. `PUT /v1/users/me/password`. */
  async changePassword(params: PasswordChangeParams, opts?: RequestOptions): Promise<void> {
    await this._client.put('/v1/users/me/password', params, opts);
  }
}
