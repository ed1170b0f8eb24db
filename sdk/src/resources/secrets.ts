import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type {
  PageParams,
  Secret,
  SecretCreateParams,
  SecretUpdateParams,
  SecretValue,
} from '../types.js';
import { APIResource } from './resource.js';

/** Orbit secrets: `/v1/organizations/{org}/orbits/{orbit}/secrets`. Lists never include values. */
export class Secrets extends APIResource {
  /** Lists secrets (names and metadata only). */
  list(
    org: string,
    orbit: string,
    params: PageParams = {},
    opts?: RequestOptions,
  ): PagePromise<Secret> {
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/secrets`,
      { ...params },
      opts,
    );
  }

  /** Gets a secret's metadata. */
  get(org: string, orbit: string, secret: string, opts?: RequestOptions): Promise<Secret> {
    return this._client.get(path`/v1/organizations/${org}/orbits/${orbit}/secrets/${secret}`, opts);
  }

  /** Creates a secret. */
  create(
    org: string,
    orbit: string,
    params: SecretCreateParams,
    opts?: RequestOptions,
  ): Promise<Secret> {
    return this._client.post(path`/v1/organizations/${org}/orbits/${orbit}/secrets`, params, opts);
  }

  /** Updates a secret's value or metadata. */
  update(
    org: string,
    orbit: string,
    secret: string,
    params: SecretUpdateParams,
    opts?: RequestOptions,
  ): Promise<Secret> {
    return this._client.patch(
      path`/v1/organizations/${org}/orbits/${orbit}/secrets/${secret}`,
      params,
      opts,
    );
  }

  /** Deletes a secret. */
  async delete(org: string, orbit: string, secret: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(
      path`/v1/organizations/${org}/orbits/${orbit}/secrets/${secret}`,
      opts,
    );
  }

  /** Reveals a secret's value (audited). `GET …/secrets/{secret}/value`. */
  reveal(org: string, orbit: string, secret: string, opts?: RequestOptions): Promise<SecretValue> {
    return this._client.get(
      path`/v1/organizations/${org}/orbits/${orbit}/secrets/${secret}/value`,
      opts,
    );
  }
}
