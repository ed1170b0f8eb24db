import type {
  OrganizationCreateParams,
  OrganizationMember,
  OrganizationRole,
  OrganizationUpdateParams,
} from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';
import type { InvitationView, OrganizationView } from '@/app/types';

const LAST_ORG = 'apogee.lastOrg';

/** The caller's organizations, the current one, its members and its invitations. */
export const useOrganizationsStore = defineStore('organizations', () => {
  const items = ref<OrganizationView[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const currentId = ref<string | null>(null);

  const members = ref<OrganizationMember[]>([]);
  const membersLoading = ref(false);
  const invitations = ref<InvitationView[]>([]);
  const invitationsLoading = ref(false);

  const current = computed(() => items.value.find((o) => o.id === currentId.value) ?? null);

  async function load(force = false): Promise<void> {
    if (loaded.value && !force) return;
    loading.value = true;
    try {
      items.value = await api((c) => listAll<OrganizationView>(c, v1('organizations')));
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  function select(id: string | null): void {
    currentId.value = id;
    if (id) localStorage.setItem(LAST_ORG, id);
  }

  /** The org to open by default: the last one used, else the first. */
  function defaultId(): string | null {
    const last = localStorage.getItem(LAST_ORG);
    return items.value.find((o) => o.id === last)?.id ?? items.value[0]?.id ?? null;
  }

  /** Re-reads one organization (role, permissions, counts) into the list. */
  async function refresh(id: string): Promise<OrganizationView> {
    const org = (await api((c) => c.organizations.get(id))) as OrganizationView;
    const i = items.value.findIndex((o) => o.id === id);
    if (i >= 0) items.value[i] = org;
    else items.value.push(org);
    return org;
  }

  async function create(params: OrganizationCreateParams): Promise<OrganizationView> {
    const org = (await api((c) => c.organizations.create(params))) as OrganizationView;
    return refresh(org.id);
  }

  async function update(id: string, params: OrganizationUpdateParams): Promise<void> {
    await api((c) => c.organizations.update(id, params));
    await refresh(id);
  }

  async function remove(id: string): Promise<void> {
    await api((c) => c.organizations.delete(id));
    items.value = items.value.filter((o) => o.id !== id);
    if (currentId.value === id) currentId.value = null;
  }

  async function loadMembers(org: string): Promise<void> {
    membersLoading.value = true;
    try {
      members.value = await api((c) =>
        listAll<OrganizationMember>(c, v1('organizations', org, 'members')),
      );
    } finally {
      membersLoading.value = false;
    }
  }

  async function updateMember(
    org: string,
    memberId: string,
    role: OrganizationRole,
  ): Promise<void> {
    const m = await api((c) => c.organizations.members.update(org, memberId, { role }));
    members.value = members.value.map((x) => (x.id === memberId ? { ...x, ...m } : x));
  }

  async function removeMember(org: string, memberId: string): Promise<void> {
    await api((c) => c.organizations.members.remove(org, memberId));
    members.value = members.value.filter((x) => x.id !== memberId);
  }

  async function loadInvitations(org: string): Promise<void> {
    invitationsLoading.value = true;
    try {
      invitations.value = await api((c) =>
        listAll<InvitationView>(c, v1('organizations', org, 'invitations')),
      );
    } finally {
      invitationsLoading.value = false;
    }
  }

  async function invite(
    org: string,
    email: string,
    role: 'admin' | 'member',
  ): Promise<InvitationView> {
    const inv: InvitationView = await api((c) =>
      c.organizations.invitations.create(org, { email, role }),
    );
    invitations.value = [inv, ...invitations.value.filter((i) => i.id !== inv.id)];
    return inv;
  }

  async function revokeInvitation(org: string, id: string): Promise<void> {
    await api((c) => c.organizations.invitations.revoke(org, id));
    invitations.value = invitations.value.filter((i) => i.id !== id);
  }

  onSignedOut(() => {
    items.value = [];
    loaded.value = false;
    currentId.value = null;
    members.value = [];
    invitations.value = [];
  });

  return {
    items,
    loaded,
    loading,
    currentId,
    current,
    members,
    membersLoading,
    invitations,
    invitationsLoading,
    load,
    select,
    defaultId,
    refresh,
    create,
    update,
    remove,
    loadMembers,
    updateMember,
    removeMember,
    loadInvitations,
    invite,
    revokeInvitation,
  };
});
