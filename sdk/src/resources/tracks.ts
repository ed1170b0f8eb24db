import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { PageParams } from '../types.js';
import { APIResource } from './resource.js';

/** A track (registered model): ordered, immutable versions of artifacts of one orbit. */
export interface Track {
  id: string;
  organizationId: string;
  orbitId: string;
  name: string;
  description: string;
  tags: string[];
  versionsCount: number;
  latestVersion: number | null;
  /** Every alias and the version it holds. */
  aliases: { name: string; version: number }[];
  createdAt: string;
  updatedAt: string;
}

export interface TrackCreateParams {
  /** 1–100 characters. */
  name: string;
  description?: string;
  tags?: string[];
}

export interface TrackUpdateParams {
  name?: string;
  description?: string;
  /** Replaces the tags. */
  tags?: string[];
}

export interface TrackListParams extends PageParams {
  /** Substring of the name or description. */
  search?: string;
  /** Only tracks with every one of these tags. */
  tag?: string[];
}

/** One version of a track: 1, 2, 3… without gaps, never changed once added. */
export interface TrackVersion {
  id: string;
  trackId: string;
  version: number;
  artifactId: string;
  note: string;
  /** Aliases this version holds. */
  aliases: string[];
  artifact: {
    id: string;
    name: string;
    format: string;
    fileName: string;
    size: number;
    sha256: string;
    metrics: Record<string, unknown>;
    tags: string[];
  };
  addedBy: string | null;
  createdAt: string;
}

export interface TrackAlias {
  name: string;
  version: number;
  versionId: string;
  artifactId: string;
  movedBy: string | null;
  movedAt: string;
}

export interface AliasMoveParams {
  version: number;
  /**
   * Compare-and-set: the version you believe the alias holds now (`null`: the alias must not
   * exist). When it differs the API answers 409 `alias_changed` (a {@link ConflictError}).
   */
  expectedVersion?: number | null;
  /** Why; kept in the history. */
  reason?: string;
}

/** One entry of an alias's history: a move, a refusal (with the rule) or a removal. */
export interface AliasEvent {
  id: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number | null;
  outcome: 'moved' | 'refused' | 'removed';
  rule: string | null;
  reason: string | null;
  actorId: string | null;
  actorLabel: string;
  createdAt: string;
}

export type AliasRuleRole =
  'org:owner' | 'org:admin' | 'org:member' | 'orbit:admin' | 'orbit:member';

export interface MetricRequirement {
  key: string;
  /** `gte`: at least `threshold`; `lte`: at most. */
  op: 'gte' | 'lte';
  threshold: number;
}

export interface AliasRuleParams {
  /** Who may move the alias; null or omitted: anyone who may update the track. */
  allowedRoles?: AliasRuleRole[] | null;
  /** The new version's inputs/outputs must equal the current holder's. */
  requireSchemaMatch?: boolean;
  metrics?: MetricRequirement[];
}

export interface AliasRule {
  alias: string;
  allowedRoles: AliasRuleRole[] | null;
  requireSchemaMatch: boolean;
  metrics: MetricRequirement[];
  updatedAt: string;
}

export interface ModelCard {
  /** Markdown as stored; render it sanitized. */
  markdown: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface SchemaDiff {
  added: string[];
  removed: string[];
  changed: { name: string; from: unknown; to: unknown }[];
}

/** What `compare` answers for tracks and artifacts. */
export interface Comparison {
  items: {
    artifactId: string;
    version: number | null;
    name: string;
    format: string;
    fileName: string;
    size: number;
    sha256: string;
    tags: string[];
    metrics: Record<string, unknown>;
    createdAt: string;
  }[];
  metrics: { key: string; values: (number | string | boolean | null)[] }[];
  diffs: {
    fromArtifactId: string;
    toArtifactId: string;
    fromVersion: number | null;
    toVersion: number | null;
    inputs: SchemaDiff;
    outputs: SchemaDiff;
    tags: { added: string[]; removed: string[] };
    metrics: {
      added: string[];
      removed: string[];
      changed: { key: string; from: unknown; to: unknown; delta: number | null }[];
    };
    files: {
      from: { fileName: string; size: number; sha256: string };
      to: { fileName: string; size: number; sha256: string };
      fileNameChanged: boolean;
      contentChanged: boolean;
      sizeDelta: number;
    };
  }[];
  /** Track comparisons: each numeric metric across every version. */
  trend: { key: string; points: { version: number; value: number }[] }[];
}

export type LineageRelation = 'dataset' | 'base_model' | 'parent_checkpoint' | 'other';

export interface Lineage {
  artifactId: string;
  runInfo: Record<string, unknown>;
  parents: { artifactId: string; name: string; relation: LineageRelation }[];
  children: { artifactId: string; name: string; relation: LineageRelation }[];
}

export interface LineageParams {
  /** Replaces the parents (artifacts of the same orbit). */
  parents?: { artifactId: string; relation: LineageRelation }[];
  /** Free-form run information (commit, parameters…), ≤ 64 KB; replaces the previous value. */
  runInfo?: Record<string, unknown>;
}

export interface SearchHit {
  type: 'track' | 'alias' | 'tag' | 'metric' | 'artifact';
  label: string;
  trackId: string | null;
  artifactId: string | null;
  version: number | null;
  detail: string | null;
}

/**
 * Tracks of an orbit (`…/orbits/{orbit}/tracks`), their versions, aliases, rules, history and
 * cards; plus artifact lineage, artifact cards, comparison and orbit search.
 */
export class Tracks extends APIResource {
  private base(org: string, orbit: string, track?: string): string {
    return track
      ? path`/v1/organizations/${org}/orbits/${orbit}/tracks/${track}`
      : path`/v1/organizations/${org}/orbits/${orbit}/tracks`;
  }

  /** Lists tracks, newest first. */
  list(
    org: string,
    orbit: string,
    params: TrackListParams = {},
    opts?: RequestOptions,
  ): PagePromise<Track> {
    return this._client.getList(this.base(org, orbit), { ...params }, opts);
  }

  get(org: string, orbit: string, track: string, opts?: RequestOptions): Promise<Track> {
    return this._client.get(this.base(org, orbit, track), opts);
  }

  create(
    org: string,
    orbit: string,
    params: TrackCreateParams,
    opts?: RequestOptions,
  ): Promise<Track> {
    return this._client.post(this.base(org, orbit), params, opts);
  }

  /** Renames, describes or re-tags a track. */
  update(
    org: string,
    orbit: string,
    track: string,
    params: TrackUpdateParams,
    opts?: RequestOptions,
  ): Promise<Track> {
    return this._client.patch(this.base(org, orbit, track), params, opts);
  }

  /** Deletes a track (not its artifacts); the API refuses (409) while a version is deployed. */
  async delete(org: string, orbit: string, track: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(this.base(org, orbit, track), opts);
  }

  /** Adds an uploaded artifact of the orbit as the next version. */
  addVersion(
    org: string,
    orbit: string,
    track: string,
    params: { artifactId: string; note?: string },
    opts?: RequestOptions,
  ): Promise<TrackVersion> {
    return this._client.post(`${this.base(org, orbit, track)}/versions`, params, opts);
  }

  /** Lists versions, newest first. */
  versions(
    org: string,
    orbit: string,
    track: string,
    params: PageParams = {},
    opts?: RequestOptions,
  ): PagePromise<TrackVersion> {
    return this._client.getList(`${this.base(org, orbit, track)}/versions`, { ...params }, opts);
  }

  version(
    org: string,
    orbit: string,
    track: string,
    version: number,
    opts?: RequestOptions,
  ): Promise<TrackVersion> {
    return this._client.get(`${this.base(org, orbit, track)}/versions/${version}`, opts);
  }

  aliases(org: string, orbit: string, track: string, opts?: RequestOptions): Promise<TrackAlias[]> {
    return this._client.get(`${this.base(org, orbit, track)}/aliases`, opts);
  }

  /**
   * Points an alias (`production`, `staging`, …) at a version. Refusals by a rule throw
   * {@link PermissionDeniedError} or {@link ConflictError} whose body names the rule.
   */
  moveAlias(
    org: string,
    orbit: string,
    track: string,
    alias: string,
    params: AliasMoveParams,
    opts?: RequestOptions,
  ): Promise<TrackAlias> {
    return this._client.put(
      `${this.base(org, orbit, track)}${path`/aliases/${alias}`}`,
      params,
      opts,
    );
  }

  async removeAlias(
    org: string,
    orbit: string,
    track: string,
    alias: string,
    opts?: RequestOptions,
  ): Promise<void> {
    await this._client.delete(`${this.base(org, orbit, track)}${path`/aliases/${alias}`}`, opts);
  }

  /** Every move, refusal and removal, newest first. */
  aliasHistory(
    org: string,
    orbit: string,
    track: string,
    params: PageParams & { alias?: string } = {},
    opts?: RequestOptions,
  ): PagePromise<AliasEvent> {
    return this._client.getList(
      `${this.base(org, orbit, track)}/alias-history`,
      { ...params },
      opts,
    );
  }

  aliasRules(
    org: string,
    orbit: string,
    track: string,
    opts?: RequestOptions,
  ): Promise<AliasRule[]> {
    return this._client.get(`${this.base(org, orbit, track)}/alias-rules`, opts);
  }

  /** Sets who may move an alias and what a version must satisfy first (orbit admins only). */
  setAliasRule(
    org: string,
    orbit: string,
    track: string,
    alias: string,
    params: AliasRuleParams,
    opts?: RequestOptions,
  ): Promise<AliasRule> {
    return this._client.put(
      `${this.base(org, orbit, track)}${path`/alias-rules/${alias}`}`,
      params,
      opts,
    );
  }

  async deleteAliasRule(
    org: string,
    orbit: string,
    track: string,
    alias: string,
    opts?: RequestOptions,
  ): Promise<void> {
    await this._client.delete(
      `${this.base(org, orbit, track)}${path`/alias-rules/${alias}`}`,
      opts,
    );
  }

  /** Compares versions (default: the latest 20): metrics side by side, trend, schema/tag/file diffs. */
  compare(
    org: string,
    orbit: string,
    track: string,
    versions?: number[],
    opts?: RequestOptions,
  ): Promise<Comparison> {
    return this._client.get(`${this.base(org, orbit, track)}/compare`, {
      ...opts,
      query: versions?.length ? { versions: versions.join(',') } : {},
    });
  }

  /** Compares artifacts of the orbit in the order given. */
  compareArtifacts(
    org: string,
    orbit: string,
    artifactIds: string[],
    opts?: RequestOptions,
  ): Promise<Comparison> {
    return this._client.get(path`/v1/organizations/${org}/orbits/${orbit}/artifacts/compare`, {
      ...opts,
      query: { ids: artifactIds.join(',') },
    });
  }

  card(org: string, orbit: string, track: string, opts?: RequestOptions): Promise<ModelCard> {
    return this._client.get(`${this.base(org, orbit, track)}/card`, opts);
  }

  setCard(
    org: string,
    orbit: string,
    track: string,
    markdown: string,
    opts?: RequestOptions,
  ): Promise<ModelCard> {
    return this._client.put(`${this.base(org, orbit, track)}/card`, { markdown }, opts);
  }

  artifactCard(
    org: string,
    orbit: string,
    artifact: string,
    opts?: RequestOptions,
  ): Promise<ModelCard> {
    return this._client.get(
      path`/v1/organizations/${org}/orbits/${orbit}/artifacts/${artifact}/card`,
      opts,
    );
  }

  setArtifactCard(
    org: string,
    orbit: string,
    artifact: string,
    markdown: string,
    opts?: RequestOptions,
  ): Promise<ModelCard> {
    return this._client.put(
      path`/v1/organizations/${org}/orbits/${orbit}/artifacts/${artifact}/card`,
      { markdown },
      opts,
    );
  }

  lineage(org: string, orbit: string, artifact: string, opts?: RequestOptions): Promise<Lineage> {
    return this._client.get(
      path`/v1/organizations/${org}/orbits/${orbit}/artifacts/${artifact}/lineage`,
      opts,
    );
  }

  setLineage(
    org: string,
    orbit: string,
    artifact: string,
    params: LineageParams,
    opts?: RequestOptions,
  ): Promise<Lineage> {
    return this._client.put(
      path`/v1/organizations/${org}/orbits/${orbit}/artifacts/${artifact}/lineage`,
      params,
      opts,
    );
  }

  /** Orbit-wide search over tracks, aliases, tags, metric keys and artifact names. */
  async search(
    org: string,
    orbit: string,
    q: string,
    opts?: RequestOptions & { limit?: number },
  ): Promise<SearchHit[]> {
    const { limit, ...rest } = opts ?? {};
    const r = await this._client.get<{ q: string; hits: SearchHit[] }>(
      path`/v1/organizations/${org}/orbits/${orbit}/search`,
      { ...rest, query: { q, limit } },
    );
    return r.hits;
  }
}
