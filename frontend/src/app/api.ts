import { Apogee, AuthenticationError, type Session } from '@apogee/sdk';

/**
 * The one API client of the dashboard. The browser authenticates with the httpOnly cookies the
 * API sets on sign-in (`apogee_access`, `apogee_refresh`), so the client sends no bearer token;
 * requests are same-origin (the API serves the dashboard, Vite proxies `/v1` in development).
 */
let client: Apogee | null = null;

export function apiClient(): Apogee {
  client ??= new Apogee({ apiKey: null, baseURL: window.location.origin, maxRetries: 2 });
  return client;
}

/** Replaces the client (tests). */
export function setApiClient(c: Apogee | null): void {
  client = c;
}

type SessionListener = (event: 'refreshed' | 'expired', session?: Session) => void;
const listeners = new Set<SessionListener>();

/** Called when the session is renewed, or when it cannot be renewed any more. */
export function onSessionChange(fn: SessionListener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

let refreshing: Promise<Session | null> | null = null;

/**
 * Renews the session with the refresh cookie. Concurrent callers share one request: the refresh
 * token is single-use, so two parallel refreshes would revoke each other.
 *
 * SDK gap: `client.auth.refresh()` requires the token in the body; the browser only has the
 * httpOnly cookie, so this posts an empty body through the client's generic `post`.
 */
export function refreshSession(): Promise<Session | null> {
  refreshing ??= apiClient()
    .post<Session>('/v1/auth/refresh', {}, { maxRetries: 0 })
    .then((s) => {
      listeners.forEach((l) => l('refreshed', s));
      return s;
    })
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * Runs one API call; on a 401 it renews the session once and retries. A second 401 means the
 * session is over: listeners hear `expired` (the auth store sends the user to sign in).
 */
export async function api<T>(call: (c: Apogee) => Promise<T>): Promise<T> {
  try {
    return await call(apiClient());
  } catch (e) {
    if (!(e instanceof AuthenticationError)) throw e;
    const session = await refreshSession();
    if (!session) {
      listeners.forEach((l) => l('expired'));
      throw e;
    }
    return call(apiClient());
  }
}
