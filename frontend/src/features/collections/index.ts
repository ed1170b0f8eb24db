import type { FeatureModule } from '@/app/registry';

export const collectionsFeature: FeatureModule = {
  name: 'collections',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/collections',
      name: 'collections',
      component: () => import('./views/CollectionsView.vue'),
      meta: { title: 'Collections', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'collections',
      label: 'Collections',
      icon: 'pi pi-folder',
      scope: 'orbit',
      order: 20,
      to: (c) => ({ name: 'collections', params: { org: c.org, orbit: c.orbit } }),
      permission: ['collection', 'list'],
    },
  ],
};
