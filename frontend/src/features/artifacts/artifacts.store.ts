import type { Artifact, ArtifactListParams, ArtifactType, ArtifactUpdateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { listPage, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

export const ARTIFACT_TYPES: ArtifactType[] = ['model', 'dataset', 'experiment'];

/** Filters and sort of the orbit-wide artifact table; all applied server-side. */
export interface ArtifactQuery {
  collectionId?: string | null;
  type?: ArtifactType | null;
  format?: string | null;
  tags?: string[];
  search?: string;
  /** `created_at`, `name`, `size`, or `metrics.<key>`. */
  sort?: string;
  order?: 'asc' | 'desc';
}

const PAGE = 50;

/**
 * Artifacts of one orbit (the table, with "load more"), the artifact being viewed, and the
 * artifacts being compared.
 */
export const useArtifactsStore = defineStore('artifacts', () => {
  const items = ref<Artifact[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const current = ref<Artifact | null>(null);
  const currentLoading = ref(false);
  const compared = ref<Artifact[]>([]);
  let generation = 0;

  /** Every metric key seen in the loaded artifacts, for the column picker. */
  const metricKeys = computed(() => {
    const keys = new Set<string>();
    for (const a of items.value) for (const k of Object.keys(a.metrics ?? {})) keys.add(k);
    return [...keys].sort();
  });

  /** Every tag seen in the loaded artifacts, for the tag filter. */
  const knownTags = computed(() => [...new Set(items.value.flatMap((a) => a.tags ?? []))].sort());

  async function load(org: string, orbit: string, q: ArtifactQuery, more = false): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const params: ArtifactListParams = {
        limit: PAGE,
        cursor: more ? (nextCursor.value ?? undefined) : undefined,
        collectionId: q.collectionId || undefined,
        type: q.type || undefined,
        format: (q.format || undefined) as ArtifactListParams['format'],
        search: q.search || undefined,
        sort: (q.sort || undefined) as ArtifactListParams['sort'],
        order: q.sort ? (q.order ?? 'desc') : undefined,
      };
      const query = { ...params, tag: q.tags?.length ? q.tags : undefined };
      const page = await api((c) =>
        listPage<Artifact>(c, v1('organizations', org, 'orbits', orbit, 'artifacts'), query),
      );
      if (gen !== generation) return;
      items.value = more ? [...items.value, ...page.items] : page.items;
      nextCursor.value = page.nextCursor;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function get(org: string, orbit: string, id: string): Promise<Artifact> {
    currentLoading.value = true;
    try {
      current.value = await api((c) => c.artifacts.get(org, orbit, id));
      return current.value;
    } finally {
      currentLoading.value = false;
    }
  }

  async function update(
    org: string,
    orbit: string,
    id: string,
    params: ArtifactUpdateParams,
  ): Promise<Artifact> {
    const a = await api((c) => c.artifacts.update(org, orbit, id, params));
    if (current.value?.id === id) current.value = a;
    items.value = items.value.map((x) => (x.id === id ? a : x));
    return a;
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.artifacts.delete(org, orbit, id));
    items.value = items.value.filter((x) => x.id !== id);
    if (current.value?.id === id) current.value = null;
  }

  /** A short-lived URL to download the bytes from (presigned; the browser follows it). */
  async function downloadUrl(org: string, orbit: string, id: string): Promise<string> {
    return (await api((c) => c.artifacts.downloadUrl(org, orbit, id))).url;
  }

  async function loadCompared(org: string, orbit: string, ids: string[]): Promise<void> {
    currentLoading.value = true;
    try {
      compared.value = await Promise.all(
        ids.map((id) => api((c) => c.artifacts.get(org, orbit, id))),
      );
    } finally {
      currentLoading.value = false;
    }
  }

  /** Puts a freshly uploaded artifact at the top of the table. */
  function prepend(a: Artifact): void {
    items.value = [a, ...items.value.filter((x) => x.id !== a.id)];
  }

  onSignedOut(() => {
    items.value = [];
    current.value = null;
    compared.value = [];
  });

  return {
    items,
    nextCursor,
    loading,
    current,
    currentLoading,
    compared,
    metricKeys,
    knownTags,
    load,
    get,
    update,
    remove,
    downloadUrl,
    loadCompared,
    prepend,
  };
});
