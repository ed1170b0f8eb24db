import { describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { mountWithApp } from '@/test/helpers';
import type { OrbitView } from '@/app/types';
import SideNav from './SideNav.vue';

const orbit = {
  id: 'b1',
  organizationId: 'o1',
  name: 'vision',
  permissions: {},
} as unknown as OrbitView;

async function render(
  orbitPermissions: Record<string, string[]>,
  orgPermissions: Record<string, string[]>,
) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:p(.*)*', name: 'any', component: { template: '<div />' } }],
  });
  // Resolve every named route the nav links to.
  for (const name of [
    'artifacts',
    'collections',
    'secrets',
    'orbit-members',
    'orbits',
    'org-members',
    'org-settings',
    'api-keys',
    'audit',
    'account',
    'my-invitations',
  ]) {
    router.addRoute({ path: `/${name}/:org?/:orbit?`, name, component: { template: '<div />' } });
  }
  await router.push('/');
  return mountWithApp(SideNav, {
    props: {
      orgId: 'o1',
      orbitId: 'b1',
      orbits: [orbit],
      orbitPermissions,
      orgPermissions,
      invitationsCount: 2,
    },
    global: { plugins: [router], stubs: { RouterLink: false } },
  });
}

describe('SideNav', () => {
  it('shows only the orbit pages the caller may list', async () => {
    const w = await render({ artifact: ['list'], collection: ['list'] }, { orbit: ['list'] });
    expect(w.find('[data-testid="nav-artifacts"]').exists()).toBe(true);
    expect(w.find('[data-testid="nav-collections"]').exists()).toBe(true);
    expect(w.find('[data-testid="nav-secrets"]').exists()).toBe(false);
    expect(w.find('[data-testid="nav-audit"]').exists()).toBe(false);
  });

  it('shows the audit log and secrets to those allowed, and the invitations count', async () => {
    const w = await render(
      { artifact: ['list'], orbit_secret: ['list'] },
      { audit_event: ['list'], orbit: ['list'] },
    );
    expect(w.find('[data-testid="nav-secrets"]').exists()).toBe(true);
    expect(w.find('[data-testid="nav-audit"]').exists()).toBe(true);
    expect(w.find('.nav-badge').text()).toBe('2');
  });
});
