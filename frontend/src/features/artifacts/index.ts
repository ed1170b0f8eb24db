import type { FeatureModule } from '@/app/registry';

export const artifactsFeature: FeatureModule = {
  name: 'artifacts',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/artifacts',
      name: 'artifacts',
      component: () => import('./views/ArtifactsView.vue'),
      meta: { title: 'Artifacts', scope: 'orbit' },
    },
    {
      path: 'orgs/:org/orbits/:orbit/artifacts/:artifact',
      name: 'artifact',
      component: () => import('./views/ArtifactView.vue'),
      meta: { title: 'Artifact', scope: 'orbit' },
    },
    {
      path: 'orgs/:org/orbits/:orbit/compare',
      name: 'artifacts-compare',
      component: () => import('./views/CompareView.vue'),
      meta: { title: 'Compare', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'artifacts',
      label: 'Artifacts',
      icon: 'pi pi-box',
      scope: 'orbit',
      order: 10,
      to: (c) => ({ name: 'artifacts', params: { org: c.org, orbit: c.orbit } }),
      permission: ['artifact', 'list'],
      activeFor: ['artifact', 'artifacts-compare'],
    },
  ],
};
