import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../common/auth/principal.js';

/** Answers why a track cannot be deleted now (e.g. "deployed as deployment X"), or null. */
export type TrackDeleteChecker = (
  m: EntityManager,
  track: { id: string; orbitId: string },
) => Promise<string | null>;

/** What an alias move tells listeners (deploy-by-alias follows these). */
export interface AliasMovedEvent {
  organizationId: string;
  orbitId: string;
  trackId: string;
  trackName: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number;
  fromArtifactId: string | null;
  toArtifactId: string;
}

/** Runs inside the move's transaction: throwing refuses the move. */
export type AliasMovedListener = (
  ctx: RequestContext,
  m: EntityManager,
  e: AliasMovedEvent,
) => Promise<void>;

/**
 * Extension points other features register with at startup (`onModuleInit`), so tracks need not
 * import them: deployments register a delete checker ("refused while deployed") and an alias
 * listener (deploy by alias).
 */
@Injectable()
export class TrackHooks {
  private readonly deleteCheckers: TrackDeleteChecker[] = [];
  private readonly aliasListeners: AliasMovedListener[] = [];

  registerDeleteChecker(checker: TrackDeleteChecker): void {
    this.deleteCheckers.push(checker);
  }

  registerAliasMovedListener(listener: AliasMovedListener): void {
    this.aliasListeners.push(listener);
  }

  /** The first reason a registered checker gives, else the built-in deployments-table check. */
  async whyNotDeletable(
    m: EntityManager,
    track: { id: string; orbitId: string },
  ): Promise<string | null> {
    for (const check of this.deleteCheckers) {
      const why = await check(m, track);
      if (why) return why;
    }
    return this.deployedVersion(m, track.id);
  }

  async aliasMoved(ctx: RequestContext, m: EntityManager, e: AliasMovedEvent): Promise<void> {
    for (const l of this.aliasListeners) await l(ctx, m, e);
  }

  /**
   * Fallback until the deployments feature registers its own checker: when a `deployments` table
   * with `artifact_id` and `status` columns exists, a live deployment of any version's artifact
   * blocks deletion. No table, no check.
   */
  private async deployedVersion(m: EntityManager, trackId: string): Promise<string | null> {
    const cols: { column_name: string }[] = await m.query(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'deployments' AND column_name IN ('artifact_id', 'status')`,
    );
    if (cols.length < 2) return null;
    const rows: { id: string; version: number }[] = await m.query(
      `SELECT d.id, v.version FROM deployments d JOIN track_versions v ON v.artifact_id = d.artifact_id
        WHERE v.track_id = $1 AND d.status NOT IN ('stopped', 'failed', 'deleted') LIMIT 1`,
      [trackId],
    );
    return rows[0] ? `version ${rows[0].version} is deployed (deployment ${rows[0].id})` : null;
  }
}
