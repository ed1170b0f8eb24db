import type { AuditEvent, AuditEventListParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listPage, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

export type AuditFilters = Pick<
  AuditEventListParams,
  'action' | 'actorId' | 'orbitId' | 'since' | 'until'
>;

/** One organization's audit log, filtered server-side and paged with "load more". */
export const useAuditStore = defineStore('audit', () => {
  const items = ref<AuditEvent[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  let generation = 0;

  async function load(org: string, filters: AuditFilters, more = false): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const query = {
        ...clean(filters),
        limit: 50,
        cursor: more ? (nextCursor.value ?? undefined) : undefined,
      };
      const page = await api((c) =>
        listPage<AuditEvent>(c, v1('organizations', org, 'audit-events'), query),
      );
      if (gen !== generation) return;
      items.value = more ? [...items.value, ...page.items] : page.items;
      nextCursor.value = page.nextCursor;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  onSignedOut(() => {
    items.value = [];
    nextCursor.value = null;
  });

  return { items, nextCursor, loading, load };
});

function clean(f: AuditFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v) out[k] = v;
  return out;
}
