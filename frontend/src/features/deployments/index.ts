import type { FeatureModule } from '@/app/registry';

export const deploymentsFeature: FeatureModule = {
  name: 'deployments',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/deployments',
      name: 'deployments',
      component: () => import('./views/DeploymentsView.vue'),
      meta: { title: 'Deployments', scope: 'orbit' },
    },
    {
      path: 'orgs/:org/orbits/:orbit/deployments/:id',
      name: 'deployment',
      component: () => import('./views/DeploymentView.vue'),
      meta: { title: 'Deployment', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'deployments',
      label: 'Deployments',
      icon: 'pi pi-send',
      scope: 'orbit',
      order: 32,
      to: (c) => ({ name: 'deployments', params: { org: c.org, orbit: c.orbit } }),
      permission: ['deployment', 'list'],
      activeFor: ['deployment'],
    },
  ],
};
