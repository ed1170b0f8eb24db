import type { Apogee } from '@apogee/sdk';
import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ConfirmationService from 'primevue/confirmationservice';
import PrimeVue from 'primevue/config';
import ToastService from 'primevue/toastservice';
import Tooltip from 'primevue/tooltip';
import type { Component } from 'vue';
import { vi } from 'vitest';
import { setApiClient } from '@/app/api';

/** Deep partial of the SDK client: tests fake only what they call. */
export type FakeClient = { [K in keyof Apogee]?: unknown } & Record<string, unknown>;

/** Installs a fake SDK client for the stores; `get` answers from `routes` by path. */
export function fakeClient(
  parts: FakeClient = {},
  routes: Record<string, unknown> = {},
): FakeClient {
  const client: FakeClient = {
    get: vi.fn(async (path: string) => {
      if (path in routes) return routes[path];
      throw new Error(`unexpected GET ${path}`);
    }),
    post: vi.fn(),
    put: vi.fn(),
    ...parts,
  };
  setApiClient(client as unknown as Apogee);
  return client;
}

/** Mounts with Pinia, PrimeVue, toasts and confirmations, like main.ts does. */
export function mountWithApp<C extends Component>(
  component: C,
  options: ComponentMountingOptions<C> = {} as ComponentMountingOptions<C>,
) {
  const pinia = createPinia();
  setActivePinia(pinia);
  return mount(component, {
    ...options,
    global: {
      ...(options.global ?? {}),
      plugins: [
        pinia,
        [PrimeVue, { theme: 'none' }],
        ToastService,
        ConfirmationService,
        ...((options.global?.plugins as []) ?? []),
      ],
      directives: { tooltip: Tooltip, ...(options.global?.directives ?? {}) },
      stubs: { RouterLink: { template: '<a><slot /></a>' }, ...(options.global?.stubs ?? {}) },
    },
  });
}
