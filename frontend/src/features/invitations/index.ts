import type { FeatureModule } from '@/app/registry';

export const invitationsFeature: FeatureModule = {
  name: 'invitations',
  routes: [
    {
      path: 'invitations',
      name: 'my-invitations',
      component: () => import('./views/MyInvitationsView.vue'),
      meta: { title: 'Invitations', scope: 'account' },
    },
    {
      path: 'invitations/:id',
      name: 'invitation',
      component: () => import('./views/MyInvitationsView.vue'),
      meta: { title: 'Invitation', scope: 'account' },
    },
  ],
  nav: [
    {
      key: 'invitations',
      label: 'Invitations',
      icon: 'pi pi-envelope',
      scope: 'account',
      order: 10,
      to: () => ({ name: 'my-invitations' }),
      activeFor: ['invitation'],
    },
  ],
};
