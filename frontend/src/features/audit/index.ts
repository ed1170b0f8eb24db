import type { FeatureModule } from '@/app/registry';

export const auditFeature: FeatureModule = {
  name: 'audit',
  routes: [
    {
      path: 'orgs/:org/audit',
      name: 'audit',
      component: () => import('./views/AuditView.vue'),
      meta: { title: 'Audit log', scope: 'organization' },
    },
  ],
  nav: [
    {
      key: 'audit',
      label: 'Audit log',
      icon: 'pi pi-history',
      scope: 'organization',
      order: 50,
      to: (c) => ({ name: 'audit', params: { org: c.org } }),
      permission: ['audit_event', 'list'],
    },
  ],
};
