import type { CollectionCreateParams, CollectionType, CollectionUpdateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';
import type { CollectionView } from '@/app/types';

export const COLLECTION_TYPES: CollectionType[] = ['model', 'dataset', 'experiment', 'mixed'];

/** Collections of one orbit. Search and type filter run server-side; sorting in the table. */
export const useCollectionsStore = defineStore('collections', () => {
  const items = ref<CollectionView[]>([]);
  const orbitKey = ref<string | null>(null);
  const loading = ref(false);
  let generation = 0;

  async function load(
    org: string,
    orbit: string,
    filters: { search?: string; type?: CollectionType | null } = {},
  ): Promise<void> {
    const gen = ++generation;
    const key = `${org}/${orbit}`;
    if (orbitKey.value !== key) items.value = [];
    orbitKey.value = key;
    loading.value = true;
    try {
      const query = { search: filters.search || undefined, type: filters.type || undefined };
      const list = await api((c) =>
        listAll<CollectionView>(c, v1('organizations', org, 'orbits', orbit, 'collections'), query),
      );
      if (gen === generation) items.value = list;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function create(
    org: string,
    orbit: string,
    params: CollectionCreateParams,
  ): Promise<CollectionView> {
    const col = await api((c) => c.collections.create(org, orbit, params));
    items.value = [col, ...items.value];
    return col;
  }

  async function update(
    org: string,
    orbit: string,
    id: string,
    params: CollectionUpdateParams,
  ): Promise<void> {
    const col = await api((c) => c.collections.update(org, orbit, id, params));
    items.value = items.value.map((x) => (x.id === id ? { ...x, ...col } : x));
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.collections.delete(org, orbit, id));
    items.value = items.value.filter((x) => x.id !== id);
  }

  onSignedOut(() => {
    items.value = [];
    orbitKey.value = null;
  });

  return { items, loading, load, create, update, remove };
});
