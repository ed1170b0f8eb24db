import type { PasswordChangeParams, Session, SigninParams, SignupParams, User } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, apiClient, onSessionChange, refreshSession } from '@/app/api';
import { runSignedOutResets } from '@/app/session-events';

export type AuthStatus = 'unknown' | 'signed-in' | 'signed-out';

/** Renew this long before the access token expires, as a share of its lifetime. */
const REFRESH_AT = 0.8;

/**
 * The signed-in user and the session's lifecycle: sign-in/up/out, proactive refresh before the
 * access token expires (the API layer also refreshes once on a 401), password change.
 */
export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null);
  const status = ref<AuthStatus>('unknown');
  /** Set when the session ended on its own (refresh refused), so the sign-in page can say why. */
  const expired = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let initPromise: Promise<void> | null = null;

  const signedIn = computed(() => status.value === 'signed-in');
  const displayName = computed(() => user.value?.fullName || user.value?.email || '');

  function schedule(expiresInSec: number): void {
    clearTimeout(timer);
    const ms = Math.max(5, expiresInSec * REFRESH_AT) * 1000;
    timer = setTimeout(() => void refreshSession(), ms);
  }

  function accept(session: Session): void {
    user.value = session.user;
    status.value = 'signed-in';
    expired.value = false;
    schedule(session.expiresIn);
  }

  function clear(): void {
    clearTimeout(timer);
    user.value = null;
    status.value = 'signed-out';
    runSignedOutResets();
  }

  onSessionChange((event, session) => {
    if (event === 'refreshed' && session) accept(session);
    if (event === 'expired' && status.value === 'signed-in') {
      expired.value = true;
      clear();
    }
  });

  /** Finds out whether the browser holds a session (cookies); runs once. */
  function init(): Promise<void> {
    initPromise ??= api((c) => c.users.me())
      .then((u) => {
        user.value = u;
        status.value = 'signed-in';
      })
      .catch(() => {
        user.value = null;
        status.value = 'signed-out';
      });
    return initPromise;
  }

  async function signIn(params: SigninParams): Promise<void> {
    accept(await apiClient().auth.signin(params, { maxRetries: 0 }));
  }

  async function signUp(params: SignupParams): Promise<void> {
    accept(await apiClient().auth.signup(params, { maxRetries: 0 }));
  }

  async function signOut(): Promise<void> {
    try {
      await apiClient().auth.signout();
    } finally {
      expired.value = false;
      clear();
    }
  }

  async function updateProfile(fullName: string): Promise<void> {
    user.value = await api((c) => c.users.update({ fullName }));
  }

  /**
   * Changes the password (`PUT /v1/users/me/password`). The API revokes every session, this one
   * included, so the dashboard signs in again with the new password: no log-out 15 minutes later.
   */
  async function changePassword(params: PasswordChangeParams): Promise<void> {
    await api((c) => c.users.changePassword(params));
    if (user.value) await signIn({ email: user.value.email, password: params.newPassword });
  }

  return {
    user,
    status,
    expired,
    signedIn,
    displayName,
    init,
    signIn,
    signUp,
    signOut,
    updateProfile,
    changePassword,
  };
});
