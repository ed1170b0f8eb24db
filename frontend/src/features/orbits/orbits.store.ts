import type { OrbitCreateParams, OrbitMember, OrbitRole, OrbitUpdateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';
import type { OrbitView } from '@/app/types';

/** Orbits of the current organization, the current orbit and its members. */
export const useOrbitsStore = defineStore('orbits', () => {
  const items = ref<OrbitView[]>([]);
  /** The organization `items` belong to. */
  const orgId = ref<string | null>(null);
  const loading = ref(false);
  const currentId = ref<string | null>(null);
  const members = ref<OrbitMember[]>([]);
  const membersLoading = ref(false);

  const current = computed(() => items.value.find((o) => o.id === currentId.value) ?? null);

  async function load(org: string, force = false): Promise<void> {
    if (orgId.value === org && !force && items.value.length) return;
    if (orgId.value !== org) items.value = [];
    orgId.value = org;
    loading.value = true;
    try {
      const list = await api((c) => listAll<OrbitView>(c, v1('organizations', org, 'orbits')));
      if (orgId.value === org) items.value = list;
    } finally {
      loading.value = false;
    }
  }

  function select(id: string | null): void {
    currentId.value = id;
  }

  async function refresh(org: string, id: string): Promise<OrbitView> {
    const orbit = (await api((c) => c.orbits.get(org, id))) as OrbitView;
    const i = items.value.findIndex((o) => o.id === id);
    if (i >= 0) items.value[i] = orbit;
    else if (orgId.value === org) items.value.push(orbit);
    return orbit;
  }

  async function create(org: string, params: OrbitCreateParams): Promise<OrbitView> {
    const orbit = (await api((c) => c.orbits.create(org, params))) as OrbitView;
    return refresh(org, orbit.id);
  }

  async function update(org: string, id: string, params: OrbitUpdateParams): Promise<void> {
    await api((c) => c.orbits.update(org, id, params));
    await refresh(org, id);
  }

  async function remove(org: string, id: string): Promise<void> {
    await api((c) => c.orbits.delete(org, id));
    items.value = items.value.filter((o) => o.id !== id);
  }

  async function loadMembers(org: string, orbit: string): Promise<void> {
    membersLoading.value = true;
    try {
      members.value = await api((c) =>
        listAll<OrbitMember>(c, v1('organizations', org, 'orbits', orbit, 'members')),
      );
    } finally {
      membersLoading.value = false;
    }
  }

  async function addMember(
    org: string,
    orbit: string,
    userId: string,
    role: OrbitRole,
  ): Promise<void> {
    const m = await api((c) => c.orbits.members.add(org, orbit, { userId, role }));
    members.value = [...members.value, m];
  }

  async function updateMember(
    org: string,
    orbit: string,
    memberId: string,
    role: OrbitRole,
  ): Promise<void> {
    const m = await api((c) => c.orbits.members.update(org, orbit, memberId, { role }));
    members.value = members.value.map((x) => (x.id === memberId ? { ...x, ...m } : x));
  }

  async function removeMember(org: string, orbit: string, memberId: string): Promise<void> {
    await api((c) => c.orbits.members.remove(org, orbit, memberId));
    members.value = members.value.filter((x) => x.id !== memberId);
  }

  onSignedOut(() => {
    items.value = [];
    orgId.value = null;
    currentId.value = null;
    members.value = [];
  });

  return {
    items,
    orgId,
    loading,
    currentId,
    current,
    members,
    membersLoading,
    load,
    select,
    refresh,
    create,
    update,
    remove,
    loadMembers,
    addMember,
    updateMember,
    removeMember,
  };
});
