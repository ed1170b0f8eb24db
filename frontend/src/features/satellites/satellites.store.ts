import type { Satellite, SatelliteWithKey } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

/** Satellites of one orbit. A key (`sat_…`) is only ever held in `issued`, right after create/regenerate. */
export const useSatellitesStore = defineStore('satellites', () => {
  const items = ref<Satellite[]>([]);
  const loading = ref(false);
  /** The satellite whose key was just issued (shown once, cleared on dismiss). */
  const issued = ref<SatelliteWithKey | null>(null);

  async function load(org: string, orbit: string): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) =>
        listAll<Satellite>(c, v1('organizations', org, 'orbits', orbit, 'satellites')),
      );
    } finally {
      loading.value = false;
    }
  }

  function upsert(s: Satellite): void {
    const { key: _key, ...plain } = s as SatelliteWithKey;
    const i = items.value.findIndex((x) => x.id === s.id);
    if (i === -1)
      items.value = [...items.value, plain].sort((a, b) => a.name.localeCompare(b.name));
    else items.value = items.value.map((x) => (x.id === s.id ? plain : x));
  }

  async function create(
    org: string,
    orbit: string,
    params: { name: string; description?: string },
  ): Promise<SatelliteWithKey> {
    const s = await api((c) => c.satellites.create(org, orbit, params));
    upsert(s);
    issued.value = s;
    return s;
  }

  async function rename(
    org: string,
    orbit: string,
    id: string,
    params: { name?: string; description?: string },
  ): Promise<void> {
    upsert(await api((c) => c.satellites.update(org, orbit, id, params)));
  }

  async function regenerateKey(org: string, orbit: string, id: string): Promise<SatelliteWithKey> {
    const s = await api((c) => c.satellites.regenerateKey(org, orbit, id));
    upsert(s);
    issued.value = s;
    return s;
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.satellites.delete(org, orbit, id));
    items.value = items.value.filter((s) => s.id !== id);
  }

  function dismissKey(): void {
    issued.value = null;
  }

  onSignedOut(() => {
    items.value = [];
    issued.value = null;
  });

  return { items, loading, issued, load, create, rename, regenerateKey, remove, dismissKey };
});

/** The one-line commands that start a satellite with its key. */
export function installCommands(origin: string, key: string): { npx: string; docker: string } {
  return {
    npx: `APOGEE_URL=${origin} APOGEE_SATELLITE_KEY=${key} npx apogee-satellite`,
    docker:
      `docker run -d --name apogee-satellite --restart unless-stopped ` +
      `-e APOGEE_URL=${origin} -e APOGEE_SATELLITE_KEY=${key} ` +
      `-v /var/run/docker.sock:/var/run/docker.sock -v apogee-satellite:/var/lib/apogee-satellite -p 8090:8090 apogee/satellite`,
  };
}
