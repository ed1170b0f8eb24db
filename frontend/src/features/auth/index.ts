import type { FeatureModule } from '@/app/registry';

export const authFeature: FeatureModule = {
  name: 'auth',
  publicRoutes: [
    {
      path: '/sign-in',
      name: 'sign-in',
      component: () => import('./views/SignInView.vue'),
      meta: { public: true, guestOnly: true, title: 'Sign in' },
    },
    {
      path: '/sign-up',
      name: 'sign-up',
      component: () => import('./views/SignUpView.vue'),
      meta: { public: true, guestOnly: true, title: 'Create account' },
    },
  ],
  routes: [
    {
      path: 'account',
      name: 'account',
      component: () => import('./views/AccountView.vue'),
      meta: { title: 'Account', scope: 'account' },
    },
  ],
  nav: [
    {
      key: 'account',
      label: 'Account',
      icon: 'pi pi-user',
      scope: 'account',
      order: 20,
      to: () => ({ name: 'account' }),
    },
  ],
};
