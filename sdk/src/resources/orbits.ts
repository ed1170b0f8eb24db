import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type {
  Orbit,
  OrbitCreateParams,
  OrbitMember,
  OrbitMemberAddParams,
  OrbitMemberUpdateParams,
  OrbitUpdateParams,
  PageParams,
} from '../types.js';
import { APIResource } from './resource.js';

/** Orbits (workspaces) of an organization: `/v1/organizations/{org}/orbits`. */
export class Orbits extends APIResource {
  /** Members of an orbit. */
  readonly members = new OrbitMembers(this._client);

  /** Lists the orbits of an organization the caller can see. */
  list(org: string, params: PageParams = {}, opts?: RequestOptions): PagePromise<Orbit> {
    return this._client.getList(path`/v1/organizations/${org}/orbits`, { ...params }, opts);
  }

  /** Gets one orbit. */
  get(org: string, orbit: string, opts?: RequestOptions): Promise<Orbit> {
    return this._client.get(path`/v1/organizations/${org}/orbits/${orbit}`, opts);
  }

  /** Creates an orbit. */
  create(org: string, params: OrbitCreateParams, opts?: RequestOptions): Promise<Orbit> {
    return this._client.post(path`/v1/organizations/${org}/orbits`, params, opts);
  }

  /** Updates an orbit. */
  update(
    org: string,
    orbit: string,
    params: OrbitUpdateParams,
    opts?: RequestOptions,
  ): Promise<Orbit> {
    return this._client.patch(path`/v1/organizations/${org}/orbits/${orbit}`, params, opts);
  }

  /** Deletes an orbit. */
  async delete(org: string, orbit: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(path`/v1/organizations/${org}/orbits/${orbit}`, opts);
  }
}

/** `/v1/organizations/{org}/orbits/{orbit}/members`. */
export class OrbitMembers extends APIResource {
  /** Lists the members of an orbit. */
  list(
    org: string,
    orbit: string,
    params: PageParams = {},
    opts?: RequestOptions,
  ): PagePromise<OrbitMember> {
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/members`,
      { ...params },
      opts,
    );
  }

  /** Adds an organization member to the orbit. */
  add(
    org: string,
    orbit: string,
    params: OrbitMemberAddParams,
    opts?: RequestOptions,
  ): Promise<OrbitMember> {
    return this._client.post(path`/v1/organizations/${org}/orbits/${orbit}/members`, params, opts);
  }

  /** Changes an orbit member's role. */
  update(
    org: string,
    orbit: string,
    memberId: string,
    params: OrbitMemberUpdateParams,
    opts?: RequestOptions,
  ): Promise<OrbitMember> {
    return this._client.patch(
      path`/v1/organizations/${org}/orbits/${orbit}/members/${memberId}`,
      params,
      opts,
    );
  }

  /** Removes a member from the orbit. */
  async remove(org: string, orbit: string, memberId: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(
      path`/v1/organizations/${org}/orbits/${orbit}/members/${memberId}`,
      opts,
    );
  }
}
