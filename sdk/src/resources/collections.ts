import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type {
  Collection,
  CollectionCreateParams,
  CollectionListParams,
  CollectionUpdateParams,
} from '../types.js';
import { APIResource } from './resource.js';

/** Collections of an orbit: `/v1/organizations/{org}/orbits/{orbit}/collections`. */
export class Collections extends APIResource {
  /** Lists collections, optionally filtered. */
  list(
    org: string,
    orbit: string,
    params: CollectionListParams = {},
    opts?: RequestOptions,
  ): PagePromise<Collection> {
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/collections`,
      { ...params },
      opts,
    );
  }

  /** Gets one collection. */
  get(org: string, orbit: string, collection: string, opts?: RequestOptions): Promise<Collection> {
    return this._client.get(
      path`/v1/organizations/${org}/orbits/${orbit}/collections/${collection}`,
      opts,
    );
  }

  /** Creates a collection. */
  create(
    org: string,
    orbit: string,
    params: CollectionCreateParams,
    opts?: RequestOptions,
  ): Promise<Collection> {
    return this._client.post(
      path`/v1/organizations/${org}/orbits/${orbit}/collections`,
      params,
      opts,
    );
  }

  /** Updates a collection. */
  update(
    org: string,
    orbit: string,
    collection: string,
    params: CollectionUpdateParams,
    opts?: RequestOptions,
  ): Promise<Collection> {
    return this._client.patch(
      path`/v1/organizations/${org}/orbits/${orbit}/collections/${collection}`,
      params,
      opts,
    );
  }

  /** Deletes a collection (the API refuses while it holds artifacts). */
  async delete(
    org: string,
    orbit: string,
    collection: string,
    opts?: RequestOptions,
  ): Promise<void> {
    await this._client.delete(
      path`/v1/organizations/${org}/orbits/${orbit}/collections/${collection}`,
      opts,
    );
  }
}
