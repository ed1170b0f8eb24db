import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router';
import { useAuthStore } from '@/features/auth/auth.store';
import { features } from './features';
import type { FeatureModule } from './registry';

/** Builds the routes: public pages, then the shell with every feature's pages inside. */
export function buildRoutes(list: FeatureModule[] = features): RouteRecordRaw[] {
  return [
    ...list.flatMap((f) => f.publicRoutes ?? []),
    {
      path: '/',
      component: () => import('@/layouts/AppShell.vue'),
      children: [
        {
          path: '',
          name: 'home',
          component: () => import('@/layouts/HomeRedirect.vue'),
          meta: { title: 'Home' },
        },
        ...list.flatMap((f) => f.routes ?? []),
        {
          path: ':pathMatch(.*)*',
          name: 'not-found',
          component: () => import('@/layouts/NotFoundView.vue'),
          meta: { title: 'Not found' },
        },
      ],
    },
  ];
}

export function createAppRouter(routes = buildRoutes()): Router {
  const router = createRouter({ history: createWebHistory(), routes });
  router.beforeEach(async (to) => {
    const auth = useAuthStore();
    await auth.init();
    if (to.meta.guestOnly && auth.signedIn)
      return typeof to.query.redirect === 'string' ? to.query.redirect : '/';
    if (!to.meta.public && !auth.signedIn) {
      return { name: 'sign-in', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
    }
    return true;
  });
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Apogee` : 'Apogee';
  });
  return router;
}
