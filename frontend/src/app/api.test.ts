import { AuthenticationError, type Apogee } from '@apogee/sdk';
import { describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { api, onSessionChange } from './api';
import { listPage } from './lists';

const session = {
  accessToken: 'a',
  refreshToken: 'r',
  expiresIn: 900,
  user: { id: 'u', email: 'u@x', fullName: '', isPlatformAdmin: false, createdAt: '' },
};
const unauthorized = () => new AuthenticationError(401, 'unauthenticated', 'expired', 'req-1');

describe('api()', () => {
  it('refreshes the session once on a 401 and retries the call', async () => {
    const post = vi.fn().mockResolvedValue(session);
    fakeClient({ post });
    const call = vi.fn().mockRejectedValueOnce(unauthorized()).mockResolvedValueOnce('ok');
    await expect(api(call)).resolves.toBe('ok');
    expect(post).toHaveBeenCalledWith('/v1/auth/refresh', {}, { maxRetries: 0 });
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('shares one refresh between concurrent 401s (the refresh token is single-use)', async () => {
    const post = vi.fn().mockResolvedValue(session);
    fakeClient({ post });
    const mk = () => vi.fn().mockRejectedValueOnce(unauthorized()).mockResolvedValueOnce('ok');
    await Promise.all([api(mk()), api(mk()), api(mk())]);
    expect(post).toHaveBeenCalledTimes(1);
  });

  it('reports an expired session when the refresh is refused, and rethrows the 401', async () => {
    fakeClient({ post: vi.fn().mockRejectedValue(unauthorized()) });
    const events: string[] = [];
    const off = onSessionChange((e) => events.push(e));
    await expect(api(() => Promise.reject(unauthorized()))).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    off();
    expect(events).toEqual(['expired']);
  });

  it('does not refresh on other errors', async () => {
    const post = vi.fn();
    fakeClient({ post });
    await expect(api(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(post).not.toHaveBeenCalled();
  });
});

describe('listPage()', () => {
  it('accepts both a plain array and a page', async () => {
    const c = fakeClient(
      {},
      { '/a': [1, 2], '/b': { items: [3], nextCursor: 'n' } },
    ) as unknown as Apogee;
    expect(await listPage(c, '/a')).toEqual({ items: [1, 2], nextCursor: null });
    expect(await listPage(c, '/b')).toEqual({ items: [3], nextCursor: 'n' });
  });
});
