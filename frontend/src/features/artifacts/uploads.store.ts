import type { Artifact, ArtifactType, Metrics, TransferPhase } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { describeError, isAbort } from '@/app/errors';

export type UploadState = 'running' | 'done' | 'failed' | 'cancelled';

/** One upload as the dialog shows it. */
export interface UploadItem {
  id: number;
  fileName: string;
  size: number;
  phase: TransferPhase;
  loadedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  state: UploadState;
  error?: string;
  requestId?: string;
  artifact?: Artifact;
}

export interface UploadRequest {
  org: string;
  orbit: string;
  collectionId: string;
  file: File;
  name?: string;
  type?: ArtifactType;
  description?: string;
  tags?: string[];
  metrics?: Metrics;
}

/**
 * Uploads run through `client.artifacts.upload` (hash, create, PUT or parts, complete), each
 * with its own AbortController. Progress is kept per upload so the dialog can show bytes,
 * speed and time left, and a cancelled upload resumes when the same file is sent again.
 */
export const useUploadsStore = defineStore('uploads', () => {
  const items = ref<UploadItem[]>([]);
  const controllers = new Map<number, AbortController>();
  let seq = 0;

  const active = computed(() => items.value.filter((u) => u.state === 'running'));

  /** Percent of the whole transfer: hashing counts for 10 %, sending for 88 %, verifying 2 %. */
  function percent(u: UploadItem): number {
    if (u.state === 'done') return 100;
    const frac = u.totalBytes > 0 ? u.loadedBytes / u.totalBytes : 0;
    switch (u.phase) {
      case 'hashing':
        return Math.floor(frac * 10);
      case 'uploading':
      case 'downloading':
        return Math.floor(10 + frac * 88);
      case 'verifying':
        return 98;
    }
  }

  async function start(req: UploadRequest): Promise<Artifact | null> {
    const id = ++seq;
    const controller = new AbortController();
    controllers.set(id, controller);
    items.value.unshift({
      id,
      fileName: req.file.name,
      size: req.file.size,
      phase: 'hashing',
      loadedBytes: 0,
      totalBytes: req.file.size,
      bytesPerSecond: 0,
      etaSeconds: null,
      state: 'running',
    });
    const item = (): UploadItem | undefined => items.value.find((u) => u.id === id);
    try {
      const artifact = await api((c) =>
        c.artifacts.upload(req.org, req.orbit, req.collectionId, req.file, {
          name: req.name || undefined,
          fileName: req.file.name,
          type: req.type,
          format: guessFormat(req.file.name),
          description: req.description || undefined,
          tags: req.tags?.length ? req.tags : undefined,
          metrics: req.metrics && Object.keys(req.metrics).length ? req.metrics : undefined,
          signal: controller.signal,
          onProgress: (p) => {
            const u = item();
            if (u) Object.assign(u, p);
          },
        }),
      );
      const u = item();
      if (u)
        Object.assign(u, {
          state: 'done',
          artifact,
          phase: 'verifying',
          loadedBytes: u.totalBytes,
          etaSeconds: 0,
        });
      return artifact;
    } catch (e) {
      const u = item();
      if (u) {
        if (isAbort(e) || controller.signal.aborted) u.state = 'cancelled';
        else {
          const v = describeError(e);
          Object.assign(u, { state: 'failed', error: v.detail, requestId: v.requestId });
        }
      }
      return null;
    } finally {
      controllers.delete(id);
    }
  }

  function cancel(id: number): void {
    controllers.get(id)?.abort();
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((u) => u.id !== id || u.state === 'running');
  }

  function clearFinished(): void {
    items.value = items.value.filter((u) => u.state === 'running');
  }

  return { items, active, percent, start, cancel, dismiss, clearFinished };
});

/** The artifact format from the file name; the API may refine it from the content. */
export function guessFormat(fileName: string): string {
  const n = fileName.toLowerCase();
  if (n.endsWith('.onnx')) return 'onnx';
  if (n.endsWith('.gguf')) return 'gguf';
  if (n.endsWith('.safetensors')) return 'safetensors';
  if (n.endsWith('.luml')) return 'luml';
  if (n.endsWith('.fnnx')) return 'fnnx';
  return 'other';
}
