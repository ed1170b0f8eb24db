import type { FeatureModule } from '@/app/registry';

export const orbitsFeature: FeatureModule = {
  name: 'orbits',
  routes: [
    {
      path: 'orgs/:org/orbits',
      name: 'orbits',
      component: () => import('./views/OrbitsView.vue'),
      meta: { title: 'Orbits', scope: 'organization' },
    },
    {
      path: 'orgs/:org/orbits/:orbit',
      name: 'orbit',
      redirect: (to) => ({ name: 'artifacts', params: to.params }),
    },
    {
      path: 'orgs/:org/orbits/:orbit/members',
      name: 'orbit-members',
      component: () => import('./views/OrbitMembersView.vue'),
      meta: { title: 'Orbit members', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'orbits',
      label: 'Orbits',
      icon: 'pi pi-objects-column',
      scope: 'organization',
      order: 10,
      to: (c) => ({ name: 'orbits', params: { org: c.org } }),
      permission: ['orbit', 'list'],
    },
    {
      key: 'orbit-members',
      label: 'Members',
      icon: 'pi pi-users',
      scope: 'orbit',
      order: 90,
      to: (c) => ({ name: 'orbit-members', params: { org: c.org, orbit: c.orbit } }),
      permission: ['orbit_member', 'list'],
    },
  ],
};
