import type { FeatureModule } from '@/app/registry';

export const satellitesFeature: FeatureModule = {
  name: 'satellites',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/satellites',
      name: 'satellites',
      component: () => import('./views/SatellitesView.vue'),
      meta: { title: 'Satellites', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'satellites',
      label: 'Satellites',
      icon: 'pi pi-server',
      scope: 'orbit',
      order: 30,
      to: (c) => ({ name: 'satellites', params: { org: c.org, orbit: c.orbit } }),
      permission: ['satellite', 'list'],
    },
  ],
};
