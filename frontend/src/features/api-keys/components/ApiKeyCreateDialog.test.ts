import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { mountWithApp } from '@/test/helpers';
import ApiKeyCreateDialog from './ApiKeyCreateDialog.vue';

const scopes = [
  { label: 'Organization: Acme', organizationId: 'o1' },
  { label: 'Orbit: vision', organizationId: 'o1', orbitId: 'b1' },
];

describe('ApiKeyCreateDialog', () => {
  it('emits the name, the organization scope and a 90-day expiry by default', async () => {
    const w = mountWithApp(ApiKeyCreateDialog, {
      props: { visible: false, busy: false, scopes, created: null },
      attachTo: document.body,
    });
    await w.setProps({ visible: true });
    await nextTick();
    const input = document.body.querySelector<HTMLInputElement>('#key-name')!;
    input.value = 'notebook';
    input.dispatchEvent(new Event('input'));
    await nextTick();
    document.body.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await nextTick();
    const [params] = w.emitted('submit')![0] as [
      { name: string; organizationId: string; orbitId?: string; expiresAt: string },
    ];
    expect(params.name).toBe('notebook');
    expect(params.organizationId).toBe('o1');
    expect(params.orbitId).toBeUndefined();
    const days = (new Date(params.expiresAt).getTime() - Date.now()) / 86400_000;
    expect(Math.round(days)).toBe(90);
    w.unmount();
  });

  it('shows the created key once, with a copy button', async () => {
    const created = {
      id: 'k1',
      name: 'nb',
      prefix: 'apg_abc',
      key: 'apg_abc_secret',
      organizationId: 'o1',
      orbitId: null,
      expiresAt: null,
      lastUsedAt: null,
      createdAt: '',
    };
    const w = mountWithApp(ApiKeyCreateDialog, {
      props: { visible: true, busy: false, scopes, created },
      attachTo: document.body,
    });
    await nextTick();
    const box = document.body.querySelector('[data-testid="api-key-created"]')!;
    expect(box.querySelector<HTMLInputElement>('[data-testid="copy-value"]')!.value).toBe(
      'apg_abc_secret',
    );
    expect(box.textContent).toContain('shown only once');
    expect(box.querySelector('button[aria-label="Copy API key"]')).not.toBeNull();
    w.unmount();
  });
});
