import type { FeatureModule } from '@/app/registry';

export const storageFeature: FeatureModule = {
  name: 'storage',
  routes: [
    {
      path: 'orgs/:org/storage',
      name: 'storage',
      component: () => import('./views/StorageView.vue'),
      meta: { title: 'Storage', scope: 'organization' },
    },
  ],
  nav: [
    {
      key: 'storage',
      label: 'Storage',
      icon: 'pi pi-database',
      scope: 'organization',
      order: 45,
      to: (c) => ({ name: 'storage', params: { org: c.org } }),
      permission: ['storage_backend', 'list'],
    },
  ],
};
