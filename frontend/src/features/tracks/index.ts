import type { FeatureModule } from '@/app/registry';

export const tracksFeature: FeatureModule = {
  name: 'tracks',
  routes: [
    {
      path: 'orgs/:org/orbits/:orbit/tracks',
      name: 'tracks',
      component: () => import('./views/TracksView.vue'),
      meta: { title: 'Tracks', scope: 'orbit' },
    },
    {
      path: 'orgs/:org/orbits/:orbit/tracks/:track',
      name: 'track',
      component: () => import('./views/TrackView.vue'),
      meta: { title: 'Track', scope: 'orbit' },
    },
    {
      path: 'orgs/:org/orbits/:orbit/webhooks',
      name: 'webhooks',
      component: () => import('./views/WebhooksView.vue'),
      meta: { title: 'Webhooks', scope: 'orbit' },
    },
  ],
  nav: [
    {
      key: 'tracks',
      label: 'Tracks',
      icon: 'pi pi-sitemap',
      scope: 'orbit',
      order: 15,
      to: (c) => ({ name: 'tracks', params: { org: c.org, orbit: c.orbit } }),
      permission: ['track', 'list'],
      activeFor: ['track'],
    },
    {
      key: 'webhooks',
      label: 'Webhooks',
      icon: 'pi pi-bell',
      scope: 'orbit',
      order: 65,
      to: (c) => ({ name: 'webhooks', params: { org: c.org, orbit: c.orbit } }),
      permission: ['webhook', 'list'],
    },
  ],
};
