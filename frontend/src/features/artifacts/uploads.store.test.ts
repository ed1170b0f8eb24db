import type { TransferProgress, UploadOptions } from '@apogee/sdk';
import { APIUserAbortError } from '@apogee/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { guessFormat, useUploadsStore } from './uploads.store';

const file = () => new File([new Uint8Array(1000)], 'model.onnx');

describe('uploads store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('tracks progress through hashing, uploading and verifying to 100 %', async () => {
    let report!: (p: TransferProgress) => void;
    let finish!: (a: unknown) => void;
    const upload = vi.fn((_o: string, _b: string, _c: string, _f: File, opts: UploadOptions) => {
      report = opts.onProgress!;
      return new Promise((r) => (finish = r));
    });
    fakeClient({ artifacts: { upload } });
    const store = useUploadsStore();
    const done = store.start({
      org: 'o',
      orbit: 'b',
      collectionId: 'c',
      file: file(),
      metrics: { acc: 0.9 },
    });
    const item = () => store.items[0]!;
    report({
      phase: 'hashing',
      loadedBytes: 500,
      totalBytes: 1000,
      bytesPerSecond: 0,
      etaSeconds: null,
    });
    expect(store.percent(item())).toBe(5);
    report({
      phase: 'uploading',
      loadedBytes: 500,
      totalBytes: 1000,
      bytesPerSecond: 100,
      etaSeconds: 5,
    });
    expect(store.percent(item())).toBe(54);
    expect(item().etaSeconds).toBe(5);
    finish({ id: 'a1', name: 'model' });
    await expect(done).resolves.toMatchObject({ id: 'a1' });
    expect(item().state).toBe('done');
    expect(store.percent(item())).toBe(100);
    expect(upload.mock.calls[0]![4]).toMatchObject({ format: 'onnx', metrics: { acc: 0.9 } });
  });

  it('cancels through the AbortSignal and marks the upload cancelled', async () => {
    const upload = vi.fn(
      (_o: string, _b: string, _c: string, _f: File, opts: UploadOptions) =>
        new Promise((_r, reject) =>
          opts.signal!.addEventListener('abort', () => reject(new APIUserAbortError())),
        ),
    );
    fakeClient({ artifacts: { upload } });
    const store = useUploadsStore();
    const done = store.start({ org: 'o', orbit: 'b', collectionId: 'c', file: file() });
    store.cancel(store.items[0]!.id);
    await expect(done).resolves.toBeNull();
    expect(store.items[0]!.state).toBe('cancelled');
  });

  it('keeps the API message and request id of a failed upload', async () => {
    const { UnprocessableEntityError } = await import('@apogee/sdk');
    fakeClient({
      artifacts: {
        upload: vi
          .fn()
          .mockRejectedValue(
            new UnprocessableEntityError(
              422,
              'upload_verification_failed',
              'sha256 mismatch',
              'req-9',
            ),
          ),
      },
    });
    const store = useUploadsStore();
    await store.start({ org: 'o', orbit: 'b', collectionId: 'c', file: file() });
    expect(store.items[0]).toMatchObject({
      state: 'failed',
      error: 'sha256 mismatch',
      requestId: 'req-9',
    });
  });

  it('guesses the format from the file name', () => {
    expect(guessFormat('m.GGUF')).toBe('gguf');
    expect(guessFormat('weights.safetensors')).toBe('safetensors');
    expect(guessFormat('notes.txt')).toBe('other');
  });
});
