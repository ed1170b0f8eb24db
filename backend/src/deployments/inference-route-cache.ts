import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** How long a checked (caller, deployment) → target answer is reused, ms: revocation and stops are honoured within it. */
export const INFERENCE_ROUTE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  target: string;
  deploymentId: string;
  expires: number;
}

/**
 * Remembers, for a few seconds, that a bearer token may call a deployment and where it is served,
 * so that inference through the API skips the database on the hot path (auth, access, lookup
 * run once per TTL). Only allowed answers are kept; tokens are kept hashed. Stopping, redeploying
 * or deleting a deployment forgets it at once on this instance.
 */
@Injectable()
export class InferenceRouteCache {
  private readonly entries = new Map<string, Entry>();
  /** Deployments switching where they are served: not cached until the time given. */
  private readonly held = new Map<string, number>();

  private key(token: string, org: string, orbit: string, deploymentId: string): string {
    return `${createHash('sha256').update(token).digest('base64url')}:${org}:${orbit}:${deploymentId}`;
  }

  get(token: string, org: string, orbit: string, deploymentId: string): string | null {
    const k = this.key(token, org, orbit, deploymentId);
    const e = this.entries.get(k);
    if (!e) return null;
    if (e.expires <= Date.now()) {
      this.entries.delete(k);
      return null;
    }
    return e.target;
  }

  set(token: string, org: string, orbit: string, deploymentId: string, target: string): void {
    const until = this.held.get(deploymentId);
    if (until !== undefined) {
      if (until > Date.now()) return;
      this.held.delete(deploymentId);
    }
    if (this.entries.size >= MAX_ENTRIES) this.prune();
    this.entries.set(this.key(token, org, orbit, deploymentId), {
      target,
      deploymentId,
      expires: Date.now() + INFERENCE_ROUTE_TTL_MS,
    });
  }

  /** Forgets a deployment and caches nothing for it for `ms` (while its switch commits). */
  hold(deploymentId: string, ms: number): void {
    this.held.set(deploymentId, Date.now() + ms);
    this.forgetDeployment(deploymentId);
  }

  forgetDeployment(deploymentId: string): void {
    for (const [k, e] of this.entries) if (e.deploymentId === deploymentId) this.entries.delete(k);
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    if (this.entries.size >= MAX_ENTRIES)
      [...this.entries.keys()].slice(0, MAX_ENTRIES / 2).forEach((k) => this.entries.delete(k));
  }
}
