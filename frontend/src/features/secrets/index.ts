import type { FeatureModule } from '@/app/registry';

export const secretsFeature: FeatureModule = {
  name: 'secrets',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/secrets',
      name: 'secrets',
      component: () => import('./views/SecretsView.vue'),
      meta: { title: 'Secrets', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'secrets',
      label: 'Secrets',
      icon: 'pi pi-key',
      scope: 'orbit',
      order: 60,
      to: (c) => ({ name: 'secrets', params: { org: c.org, orbit: c.orbit } }),
      permission: ['orbit_secret', 'list'],
    },
  ],
};
