import { flushPromises } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { installCommands, useSatellitesStore } from './satellites.store';

const sat = (id: string, name: string) => ({
  id,
  name,
  status: 'active',
  paired: true,
  keyPrefix: 'sat_ab',
});

describe('satellites store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('lists, creates with a key held once, and never keeps the key in the list', async () => {
    const create = vi.fn().mockResolvedValue({ ...sat('s2', 'a-box'), key: 'sat_secret' });
    fakeClient(
      { satellites: { create } },
      { '/v1/organizations/o1/orbits/b1/satellites': [sat('s1', 'z-box')] },
    );
    const s = useSatellitesStore();
    await s.load('o1', 'b1');
    expect(s.items.map((x) => x.id)).toEqual(['s1']);
    await s.create('o1', 'b1', { name: 'a-box' });
    expect(create).toHaveBeenCalledWith('o1', 'b1', { name: 'a-box' });
    expect(s.issued?.key).toBe('sat_secret');
    expect(s.items.map((x) => x.name)).toEqual(['a-box', 'z-box']);
    expect(JSON.stringify(s.items)).not.toContain('sat_secret');
    s.dismissKey();
    expect(s.issued).toBeNull();
  });

  it('regenerates a key, renames, and keeps the item when delete is refused', async () => {
    const err = Object.assign(new Error('in use'), { status: 409 });
    const client = fakeClient(
      {
        satellites: {
          regenerateKey: vi.fn().mockResolvedValue({ ...sat('s1', 'box'), key: 'sat_new' }),
          update: vi.fn().mockResolvedValue(sat('s1', 'renamed')),
          delete: vi.fn().mockRejectedValue(err),
        },
      },
      { '/v1/organizations/o1/orbits/b1/satellites': [sat('s1', 'box')] },
    );
    const s = useSatellitesStore();
    await s.load('o1', 'b1');
    await s.regenerateKey('o1', 'b1', 's1');
    expect(s.issued?.key).toBe('sat_new');
    await s.rename('o1', 'b1', 's1', { name: 'renamed' });
    expect(s.items[0]!.name).toBe('renamed');
    await expect(s.remove('o1', 'b1', 's1')).rejects.toBe(err);
    await flushPromises();
    expect(s.items).toHaveLength(1);
    expect((client.satellites as { delete: ReturnType<typeof vi.fn> }).delete).toHaveBeenCalled();
  });

  it('builds the npx and docker commands with the origin and key', () => {
    const c = installCommands('https://apogee.test', 'sat_k');
    expect(c.npx).toBe(
      'APOGEE_URL=https://apogee.test APOGEE_SATELLITE_KEY=sat_k npx apogee-satellite',
    );
    expect(c.docker).toContain('-e APOGEE_SATELLITE_KEY=sat_k');
  });
});
