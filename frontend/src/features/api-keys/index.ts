import type { FeatureModule } from '@/app/registry';

export const apiKeysFeature: FeatureModule = {
  name: 'api-keys',
  routes: [
    {
      path: 'orgs/:org/api-keys',
      name: 'api-keys',
      component: () => import('./views/ApiKeysView.vue'),
      meta: { title: 'API keys', scope: 'organization' },
    },
  ],
  nav: [
    {
      key: 'api-keys',
      label: 'API keys',
      icon: 'pi pi-lock',
      scope: 'organization',
      order: 40,
      to: (c) => ({ name: 'api-keys', params: { org: c.org } }),
    },
  ],
};
