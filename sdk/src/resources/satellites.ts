import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import { APIResource } from './resource.js';

/** A GPU a satellite reported when it paired. */
export interface SatelliteGpu {
  model: string;
  /** Memory, MiB. */
  memoryMb: number;
}

/** What a satellite can do (sent when it pairs). */
export interface SatelliteCapabilities {
  runtimes: ('docker' | 'process')[];
  gpus: SatelliteGpu[];
  cpus: number;
  /** Total memory, MiB. */
  memoryMb: number;
  /** Free disk in its model cache, MiB. */
  diskFreeMb?: number;
  formats: string[];
  taskTypes: string[];
  maxConcurrency: number;
}

export interface Satellite {
  id: string;
  organizationId: string;
  orbitId: string;
  name: string;
  description: string;
  keyPrefix: string;
  paired: boolean;
  pairedAt: string | null;
  /** From the last heartbeat: `active` < 30 s, `stale` < 5 min, else `offline`. */
  status: 'active' | 'stale' | 'offline';
  lastHeartbeatAt: string | null;
  baseUrl: string | null;
  version: string | null;
  capabilities: SatelliteCapabilities | null;
  deploymentsCount: number;
  createdAt: string;
}

/** A satellite with its key (`sat_…`): returned once, on create and key regeneration. */
export interface SatelliteWithKey extends Satellite {
  key: string;
}

export interface SatelliteCreateParams {
  name: string;
  description?: string;
}

export type SatelliteUpdateParams = Partial<SatelliteCreateParams>;

/**
 * Satellites of an orbit: `/v1/organizations/{org}/orbits/{orbit}/satellites`. Run one on a host
 * with `APOGEE_URL=… APOGEE_SATELLITE_KEY=sat_… apogee-satellite`.
 */
export class Satellites extends APIResource {
  list(org: string, orbit: string, opts?: RequestOptions): PagePromise<Satellite> {
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites`,
      {},
      opts,
    );
  }

  get(org: string, orbit: string, satellite: string, opts?: RequestOptions): Promise<Satellite> {
    return this._client.get(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites/${satellite}`,
      opts,
    );
  }

  /** Creates a satellite; the answer's `key` is shown only this once. */
  create(
    org: string,
    orbit: string,
    params: SatelliteCreateParams,
    opts?: RequestOptions,
  ): Promise<SatelliteWithKey> {
    return this._client.post(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites`,
      params,
      opts,
    );
  }

  /** Renames a satellite or changes its description. */
  update(
    org: string,
    orbit: string,
    satellite: string,
    params: SatelliteUpdateParams,
    opts?: RequestOptions,
  ): Promise<Satellite> {
    return this._client.patch(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites/${satellite}`,
      params,
      opts,
    );
  }

  /** Issues a new key; the old one stops working at once. */
  regenerateKey(
    org: string,
    orbit: string,
    satellite: string,
    opts?: RequestOptions,
  ): Promise<SatelliteWithKey> {
    return this._client.post(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites/${satellite}/key`,
      undefined,
      opts,
    );
  }

  /** Deletes a satellite (409 while deployments use it). */
  async delete(
    org: string,
    orbit: string,
    satellite: string,
    opts?: RequestOptions,
  ): Promise<void> {
    await this._client.delete(
      path`/v1/organizations/${org}/orbits/${orbit}/satellites/${satellite}`,
      opts,
    );
  }
}
