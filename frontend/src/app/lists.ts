import type { Apogee, QueryValue } from '@apogee/sdk';

/** One page as the dashboard uses it. */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * SDK gap: several list routes answer a plain JSON array (organizations, members, orbits, API
 * keys, invitations — see sdk/openapi.json) while the SDK's `list()` pages expect
 * `{ items, nextCursor }` and read an array as empty. Until both agree, stores list through the
 * client's generic `get`, accepting either shape.
 */
export async function listPage<T>(
  c: Apogee,
  path: string,
  query: Record<string, QueryValue> = {},
): Promise<ListPage<T>> {
  const res = await c.get<T[] | ListPage<T>>(path, { query });
  if (Array.isArray(res)) return { items: res, nextCursor: null };
  return { items: res?.items ?? [], nextCursor: res?.nextCursor ?? null };
}

/** Every item of a list route, following `nextCursor` (bounded, to protect the page). */
export async function listAll<T>(
  c: Apogee,
  path: string,
  query: Record<string, QueryValue> = {},
  max = 5000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listPage<T>(c, path, { ...query, cursor });
    out.push(...page.items);
    if (!page.nextCursor || out.length >= max) return out;
    cursor = page.nextCursor;
  }
}

/** Encodes path segments: `p('organizations', org, 'orbits')` → `/v1/organizations/<org>/orbits`. */
export function v1(...segments: string[]): string {
  return '/v1/' + segments.map((s) => encodeURIComponent(s)).join('/');
}
