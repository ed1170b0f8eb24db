import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { useOrganizationsStore } from '@/features/organizations/organizations.store';
import { useAuthStore } from './auth.store';

const user = {
  id: 'u1',
  email: 'ada@example.com',
  fullName: 'Ada',
  isPlatformAdmin: false,
  createdAt: '2026-01-01',
};
const session = (expiresIn = 900) => ({ accessToken: 't', refreshToken: 'r', expiresIn, user });

describe('auth store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('signs in and renews the session before the access token expires', async () => {
    const post = vi.fn().mockResolvedValue(session(100));
    fakeClient({ auth: { signin: vi.fn().mockResolvedValue(session(100)) }, post });
    const auth = useAuthStore();
    await auth.signIn({ email: user.email, password: 'secret123' });
    expect(auth.signedIn).toBe(true);
    expect(auth.displayName).toBe('Ada');
    await vi.advanceTimersByTimeAsync(79_000);
    expect(post).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(post).toHaveBeenCalledWith('/v1/auth/refresh', {}, { maxRetries: 0 });
  });

  it('signs out and forgets the tenant data other stores cached', async () => {
    fakeClient({
      auth: {
        signin: vi.fn().mockResolvedValue(session()),
        signout: vi.fn().mockResolvedValue(undefined),
      },
    });
    const auth = useAuthStore();
    const orgs = useOrganizationsStore();
    await auth.signIn({ email: user.email, password: 'secret123' });
    orgs.items = [{ id: 'o1', name: 'Acme' } as never];
    await auth.signOut();
    expect(auth.status).toBe('signed-out');
    expect(orgs.items).toEqual([]);
  });

  it('treats a browser without a session as signed out', async () => {
    const { AuthenticationError } = await import('@apogee/sdk');
    const err = new AuthenticationError(401, 'unauthenticated', 'no session', '');
    fakeClient({
      users: { me: vi.fn().mockRejectedValue(err) },
      post: vi.fn().mockRejectedValue(err),
    });
    const auth = useAuthStore();
    await auth.init();
    expect(auth.status).toBe('signed-out');
  });

  it('changes the password through the SDK and signs in again (the API revoked every session)', async () => {
    const changePassword = vi.fn().mockResolvedValue(undefined);
    const signin = vi.fn().mockResolvedValue(session());
    fakeClient({ users: { changePassword }, auth: { signin } });
    useAuthStore().user = user;
    await useAuthStore().changePassword({ currentPassword: 'old-pass1', newPassword: 'new-pass1' });
    expect(changePassword).toHaveBeenCalledWith({
      currentPassword: 'old-pass1',
      newPassword: 'new-pass1',
    });
    expect(signin).toHaveBeenCalledWith(
      { email: user.email, password: 'new-pass1' },
      { maxRetries: 0 },
    );
  });
});
