import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';
import type { InvitationView } from '@/app/types';

/** Invitations addressed to the signed-in user. */
export const useMyInvitationsStore = defineStore('myInvitations', () => {
  const items = ref<InvitationView[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const count = computed(() => items.value.length);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) => listAll<InvitationView>(c, v1('users', 'me', 'invitations')));
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function accept(id: string): Promise<void> {
    await api((c) => c.invitations.accept(id));
    items.value = items.value.filter((i) => i.id !== id);
  }

  async function decline(id: string): Promise<void> {
    await api((c) => c.invitations.decline(id));
    items.value = items.value.filter((i) => i.id !== id);
  }

  onSignedOut(() => {
    items.value = [];
    loaded.value = false;
  });

  return { items, loading, loaded, count, load, accept, decline };
});
