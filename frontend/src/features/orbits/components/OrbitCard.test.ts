import { describe, expect, it } from 'vitest';
import { mountWithApp } from '@/test/helpers';
import type { OrbitView } from '@/app/types';
import OrbitCard from './OrbitCard.vue';

const orbit = {
  id: 'b1',
  organizationId: 'o1',
  name: 'vision',
  description: '',
  role: 'member',
  permissions: {},
  collectionsCount: 2,
  artifactsCount: 7,
  membersCount: 3,
  createdAt: '2026-01-01',
} as unknown as OrbitView;

describe('OrbitCard', () => {
  it('shows the counts', () => {
    const w = mountWithApp(OrbitCard, { props: { orbit, canEdit: false, canDelete: false } });
    expect(w.find('.oc-stats').text()).toMatch(/Collections\s*2\s*Artifacts\s*7\s*Members\s*3/);
  });

  it('hides edit and delete without the permission, and emits them with it', async () => {
    const hidden = mountWithApp(OrbitCard, { props: { orbit, canEdit: false, canDelete: false } });
    expect(hidden.find('[aria-label="Edit vision"]').exists()).toBe(false);
    expect(hidden.find('[aria-label="Delete vision"]').exists()).toBe(false);
    const w = mountWithApp(OrbitCard, { props: { orbit, canEdit: true, canDelete: true } });
    await w.find('[aria-label="Delete vision"]').trigger('click');
    expect(w.emitted('delete')![0]).toEqual([orbit]);
  });
});
