import { createHash } from 'node:crypto';
import { isTransient, type PlatformClient } from './platform-client.js';

interface Entry {
  allowed: boolean;
  expires: number;
}

const MAX_ENTRIES = 10_000;
/** While the platform cannot be reached, a caller allowed within this long keeps being served, ms. */
export const STALE_IF_UNREACHABLE_MS = 5 * 60_000;

/**
 * Asks the platform whether a caller's token may call a deployment, and remembers the answer for
 * the platform's TTL (at most `maxTtlMs`): a revoked key stops working within it. Concurrent
 * questions about the same token and deployment share one request. Tokens are kept only hashed.
 * While the platform is unreachable, a caller it allowed within the last
 * {@link STALE_IF_UNREACHABLE_MS} keeps being served (models keep working through an API outage);
 * nobody new is let in.
 */
export class Authorizer {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly client: PlatformClient,
    private readonly maxTtlMs: number,
  ) {}

  async allowed(token: string, deploymentId: string): Promise<boolean> {
    const key = `${createHash('sha256').update(token).digest('hex')}:${deploymentId}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.allowed;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.client
        .authorize(token, deploymentId)
        .then(
          (r) => {
            if (this.cache.size >= MAX_ENTRIES) this.prune();
            this.cache.set(key, {
              allowed: r.allowed,
              expires: Date.now() + Math.min(r.ttlSec * 1000, this.maxTtlMs),
            });
            return r.allowed;
          },
          (e: unknown) => {
            if (isTransient(e) && hit && Date.now() - hit.expires < STALE_IF_UNREACHABLE_MS)
              return hit.allowed;
            throw e;
          },
        )
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.cache)
      if (v.expires + STALE_IF_UNREACHABLE_MS <= now) this.cache.delete(k);
    // Still full of live entries: drop the oldest half (Map keeps insertion order).
    if (this.cache.size >= MAX_ENTRIES)
      [...this.cache.keys()].slice(0, MAX_ENTRIES / 2).forEach((k) => this.cache.delete(k));
  }
}
