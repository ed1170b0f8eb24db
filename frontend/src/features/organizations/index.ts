import type { FeatureModule } from '@/app/registry';

export const organizationsFeature: FeatureModule = {
  name: 'organizations',
  routes: [
    {
      path: 'orgs/new',
      name: 'org-new',
      component: () => import('./views/OrgCreateView.vue'),
      meta: { title: 'New organization', scope: 'account' },
    },
    { path: 'orgs/:org', redirect: (to) => ({ name: 'orbits', params: { org: to.params.org } }) },
    {
      path: 'orgs/:org/members',
      name: 'org-members',
      component: () => import('./views/OrgMembersView.vue'),
      meta: { title: 'Members', scope: 'organization' },
    },
    {
      path: 'orgs/:org/settings',
      name: 'org-settings',
      component: () => import('./views/OrgSettingsView.vue'),
      meta: { title: 'Settings', scope: 'organization' },
    },
  ],
  nav: [
    {
      key: 'org-members',
      label: 'Members & invitations',
      icon: 'pi pi-users',
      scope: 'organization',
      order: 20,
      to: (c) => ({ name: 'org-members', params: { org: c.org } }),
      permission: ['organization_member', 'list'],
    },
    {
      key: 'org-settings',
      label: 'Settings',
      icon: 'pi pi-cog',
      scope: 'organization',
      order: 90,
      to: (c) => ({ name: 'org-settings', params: { org: c.org } }),
    },
  ],
};
