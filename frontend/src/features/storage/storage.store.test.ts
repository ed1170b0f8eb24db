import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import ConnectionChecks from './components/ConnectionChecks.vue';
import { useStorageStore } from './storage.store';

const local = {
  id: 'l1',
  name: 'Local disk',
  kind: 'local',
  settings: {},
  credentialFields: [],
  orbitsCount: 1,
  builtIn: true,
};

describe('storage store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('lists, creates without empty optional fields, tests and deletes', async () => {
    const client = fakeClient(
      {
        post: vi.fn(async (path: string) => {
          if (path.endsWith('/test'))
            return {
              ok: false,
              failedStep: 'write',
              checks: [
                { step: 'list', ok: true, ms: 3 },
                { step: 'write', ok: false, ms: 5, error: 'AccessDenied' },
              ],
            };
          return {
            id: 's1',
            name: 'bucket',
            kind: 's3',
            settings: { bucket: 'b' },
            credentialFields: ['accessKeyId', 'secretAccessKey'],
            orbitsCount: 0,
            builtIn: false,
          };
        }),
        delete: vi.fn().mockResolvedValue(undefined),
      },
      { '/v1/organizations/o/storage-backends': [local] },
    );
    const s = useStorageStore();
    await s.load('o');
    expect(s.items).toHaveLength(1);
    await s.create('o', {
      kind: 's3',
      name: 'bucket',
      s3: { bucket: 'b', endpoint: '', accessKeyId: 'AK', secretAccessKey: 'SK' },
    });
    const post = client.post as ReturnType<typeof vi.fn>;
    expect(post.mock.calls[0]).toEqual([
      '/v1/organizations/o/storage-backends',
      { kind: 's3', name: 'bucket', s3: { bucket: 'b', accessKeyId: 'AK', secretAccessKey: 'SK' } },
    ]);
    expect(JSON.stringify(s.items)).not.toContain('SK');
    const r = await s.test('o', 'l1');
    expect(post.mock.calls[1]![0]).toBe('/v1/organizations/o/storage-backends/l1/test');
    expect(r.failedStep).toBe('write');
    expect(s.tests.l1).toEqual(r);
    await s.testDraft('o', {
      kind: 'azure',
      name: 'x',
      azure: { container: 'c', connectionString: 'cs' },
    });
    expect(post.mock.calls[2]).toEqual([
      '/v1/organizations/o/storage-backends/test',
      { kind: 'azure', azure: { container: 'c', connectionString: 'cs' } },
    ]);
    await s.remove('o', 's1');
    expect(s.items.map((b) => b.id)).toEqual(['l1']);
  });

  it('shows ✓ and ✗ per step with the error', () => {
    const w = mount(ConnectionChecks, {
      props: {
        result: {
          ok: false,
          failedStep: 'read',
          checks: [
            { step: 'list', ok: true, ms: 2 },
            { step: 'write', ok: true, ms: 4 },
            { step: 'read', ok: false, ms: 9, error: 'NoSuchKey' },
          ],
        },
      },
    });
    expect(w.find('[data-step="list"]').text()).toContain('✓');
    expect(w.find('[data-step="read"]').text()).toContain('✗');
    expect(w.find('[data-step="read"]').text()).toContain('NoSuchKey');
  });
});
