import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { mountWithApp } from '@/test/helpers';
import type { CollectionView } from '@/app/types';
import UploadDialog from './UploadDialog.vue';
import UploadProgress from './UploadProgress.vue';

const collections = [{ id: 'c1', name: 'classifiers', type: 'model' }] as CollectionView[];

describe('UploadDialog', () => {
  it('takes a dropped file and emits it with the parsed metrics', async () => {
    const w = mountWithApp(UploadDialog, {
      props: {
        visible: false,
        collections,
        defaultCollectionId: null,
        uploads: [],
        percent: () => 0,
      },
      attachTo: document.body,
    });
    await w.setProps({ visible: true });
    await nextTick();
    const zone = document.body.querySelector('[data-testid="dropzone"]')!;
    const file = new File(['abc'], 'resnet.onnx');
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as Event & {
      dataTransfer: unknown;
    };
    Object.defineProperty(drop, 'dataTransfer', { value: { files: [file] } });
    zone.dispatchEvent(drop);
    await nextTick();
    expect(zone.textContent).toContain('resnet.onnx');
    const metrics = document.body.querySelector<HTMLTextAreaElement>(
      '[data-testid="upload-metrics"]',
    )!;
    metrics.value = 'accuracy=0.93\nf1: 0.8';
    metrics.dispatchEvent(new Event('input'));
    await nextTick();
    document.body.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await nextTick();
    const [form] = w.emitted('start')![0] as [
      { file: File; collectionId: string; name: string; metrics: Record<string, unknown> },
    ];
    expect(form.file).toBe(file);
    expect(form.collectionId).toBe('c1');
    expect(form.name).toBe('resnet');
    expect(form.metrics).toEqual({ accuracy: 0.93, f1: 0.8 });
    w.unmount();
  });
});

describe('UploadProgress', () => {
  it('shows bytes, speed and time left, and emits cancel', async () => {
    const item = {
      id: 3,
      fileName: 'm.gguf',
      size: 10_485_760,
      phase: 'uploading' as const,
      loadedBytes: 5_242_880,
      totalBytes: 10_485_760,
      bytesPerSecond: 1_048_576,
      etaSeconds: 5,
      state: 'running' as const,
    };
    const w = mountWithApp(UploadProgress, { props: { item, percent: 54 } });
    expect(w.find('[data-testid="upload-detail"]').text()).toBe(
      '5.0 MB of 10.0 MB · 1.0 MB/s · 5 s left',
    );
    expect(w.find('[data-testid="upload-percent"]').text()).toBe('54 %');
    await w.find('[data-testid="upload-cancel"]').trigger('click');
    expect(w.emitted('cancel')![0]).toEqual([3]);
  });
});
