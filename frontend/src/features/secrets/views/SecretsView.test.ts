import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { fakeClient, mountWithApp } from '@/test/helpers';
import { useOrbitsStore } from '@/features/orbits/orbits.store';
import SecretsView from './SecretsView.vue';

const secret = {
  id: 's1',
  orbitId: 'b1',
  name: 'HF_TOKEN',
  description: '',
  tags: [],
  createdAt: '2026-01-01',
  updatedAt: '2026-01-01',
};

async function render(permissions: Record<string, string[]>) {
  const reveal = vi.fn().mockResolvedValue({ id: 's1', name: 'HF_TOKEN', value: 'hf_123' });
  fakeClient({ secrets: { reveal } }, { '/v1/organizations/o1/orbits/b1/secrets': [secret] });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/orgs/:org/orbits/:orbit/secrets', name: 'secrets', component: SecretsView }],
  });
  await router.push('/orgs/o1/orbits/b1/secrets');
  const w = mountWithApp(SecretsView, { global: { plugins: [router] } });
  const orbits = useOrbitsStore();
  orbits.items = [{ id: 'b1', organizationId: 'o1', name: 'vision', permissions } as never];
  orbits.currentId = 'b1';
  await flushPromises();
  return { w, reveal };
}

describe('SecretsView', () => {
  it('lists names with hidden values, and offers no reveal or delete to a plain member', async () => {
    const { w } = await render({ orbit_secret: ['list', 'create'] });
    expect(w.text()).toContain('HF_TOKEN');
    expect(w.text()).not.toContain('hf_123');
    expect(w.find('[aria-label="Reveal HF_TOKEN"]').exists()).toBe(false);
    expect(w.find('[aria-label="Delete HF_TOKEN"]').exists()).toBe(false);
    expect(w.text()).toContain('New secret');
  });

  it('reveals a value on request to those allowed', async () => {
    const { w, reveal } = await render({ orbit_secret: ['list', 'create', 'reveal', 'delete'] });
    await w.find('[aria-label="Reveal HF_TOKEN"]').trigger('click');
    await flushPromises();
    expect(reveal).toHaveBeenCalledWith('o1', 'b1', 's1');
    expect((w.find('[data-testid="copy-value"]').element as HTMLInputElement).value).toBe('hf_123');
    expect(w.find('[aria-label="Delete HF_TOKEN"]').exists()).toBe(true);
  });
});
