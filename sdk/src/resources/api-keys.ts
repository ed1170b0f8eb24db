import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { ApiKey, ApiKeyCreated, ApiKeyCreateParams, PageParams } from '../types.js';
import { APIResource } from './resource.js';

/** The signed-in user's API keys (`/v1/users/me/api-keys`). */
export class ApiKeys extends APIResource {
  /** Creates a key; the answer's `key` is shown only once. */
  create(params: ApiKeyCreateParams, opts?: RequestOptions): Promise<ApiKeyCreated> {
    return this._client.post('/v1/users/me/api-keys', params, opts);
  }

  /** Lists the user's keys (without secrets). */
  list(params: PageParams = {}, opts?: RequestOptions): PagePromise<ApiKey> {
    return this._client.getList('/v1/users/me/api-keys', { ...params }, opts);
  }

  /** Revokes a key; requests made with it fail from now on. */
  async revoke(keyId: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(path`/v1/users/me/api-keys/${keyId}`, opts);
  }
}
