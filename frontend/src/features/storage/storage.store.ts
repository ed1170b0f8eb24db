import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

/** SDK gap: storage backends have no resource in the SDK; these are the DTOs of sdk/openapi.json. */
export interface StorageBackend {
  id: string;
  organizationId: string;
  name: string;
  kind: 'local' | 's3' | 'azure';
  /** Non-secret settings only. */
  settings: Record<string, unknown>;
  /** Which credential fields are stored (never their values). */
  credentialFields: string[];
  orbitsCount: number;
  builtIn: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface S3Settings {
  endpoint?: string;
  region?: string;
  bucket: string;
  pathStyle?: boolean;
  verifyTls?: boolean;
  prefix?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AzureSettings {
  accountUrl?: string;
  container: string;
  accountName?: string;
  prefix?: string;
  connectionString?: string;
  accountKey?: string;
  sasToken?: string;
}

export type BackendDraft =
  | { kind: 's3'; name: string; s3: S3Settings }
  | { kind: 'azure'; name: string; azure: AzureSettings };

export type Step = 'list' | 'write' | 'read' | 'delete';
export interface ConnectionTest {
  ok: boolean;
  failedStep?: Step;
  checks: { step: Step; ok: boolean; error?: string; ms: number }[];
}

/** The organization's storage backends (built-in local disk, S3, Azure Blob). */
export const useStorageStore = defineStore('storage', () => {
  const items = ref<StorageBackend[]>([]);
  const loading = ref(false);
  /** Last connection test per backend id (`draft` for the create form). */
  const tests = ref<Record<string, ConnectionTest>>({});

  const base = (org: string) => v1('organizations', org, 'storage-backends');

  async function load(org: string): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) => listAll<StorageBackend>(c, base(org)));
    } finally {
      loading.value = false;
    }
  }

  /** Drops empty strings so optional fields stay unset. */
  function clean<T extends object>(o: T): T {
    return Object.fromEntries(
      Object.entries(o).filter(([, v]) => v !== '' && v !== undefined),
    ) as T;
  }
  function body(d: BackendDraft): Record<string, unknown> {
    return d.kind === 's3'
      ? { kind: 's3', name: d.name, s3: clean(d.s3) }
      : { kind: 'azure', name: d.name, azure: clean(d.azure) };
  }

  async function create(org: string, draft: BackendDraft): Promise<StorageBackend> {
    const b = await api((c) => c.post<StorageBackend>(base(org), body(draft)));
    items.value = [...items.value, b];
    return b;
  }

  async function test(org: string, id: string): Promise<ConnectionTest> {
    const r = await api((c) =>
      c.post<ConnectionTest>(`${base(org)}/${encodeURIComponent(id)}/test`, {}),
    );
    tests.value = { ...tests.value, [id]: r };
    return r;
  }

  /** Tests settings before saving them. */
  async function testDraft(org: string, draft: BackendDraft): Promise<ConnectionTest> {
    const { name: _n, ...rest } = body(draft);
    const r = await api((c) => c.post<ConnectionTest>(`${base(org)}/test`, rest));
    tests.value = { ...tests.value, draft: r };
    return r;
  }

  async function rename(org: string, id: string, name: string): Promise<void> {
    const b = await api((c) =>
      c.patch<StorageBackend>(`${base(org)}/${encodeURIComponent(id)}`, { name }),
    );
    items.value = items.value.map((x) => (x.id === id ? b : x));
  }

  async function remove(org: string, id: string): Promise<void> {
    await api((c) => c.delete(`${base(org)}/${encodeURIComponent(id)}`));
    items.value = items.value.filter((b) => b.id !== id);
    const { [id]: _gone, ...rest } = tests.value;
    tests.value = rest;
  }

  function clearDraftTest(): void {
    const { draft: _d, ...rest } = tests.value;
    tests.value = rest;
  }

  onSignedOut(() => {
    items.value = [];
    tests.value = {};
  });

  return { items, loading, tests, load, create, test, testDraft, rename, remove, clearDraftTest };
});
