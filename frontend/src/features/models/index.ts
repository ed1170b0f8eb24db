import type { FeatureModule } from '@/app/registry';

export const modelsFeature: FeatureModule = {
  name: 'models',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/models',
      name: 'models',
      component: () => import('./views/ModelsView.vue'),
      meta: { title: 'Models', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'models',
      label: 'Models',
      icon: 'pi pi-microchip-ai',
      scope: 'orbit',
      order: 34,
      to: (c) => ({ name: 'models', params: { org: c.org, orbit: c.orbit } }),
      permission: ['model', 'list'],
    },
  ],
};
