import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { mountWithApp } from '@/test/helpers';
import { readSignature, sampleTensor } from '../schema';
import SchemaForm from './SchemaForm.vue';

const signature = {
  format: 'onnx',
  inputs: [
    { name: 'x', type: 'float32', shape: ['N', 4] },
    { name: 'ids', type: 'int64', shape: [2] },
  ],
  outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
};

describe('schema-driven predict form', () => {
  it('reads the signature from the OpenAPI document and samples each input', () => {
    expect(readSignature({ 'x-apogee-signature': signature })?.inputs).toHaveLength(2);
    expect(
      readSignature({
        paths: {
          '/predict': {
            post: {
              requestBody: {
                content: {
                  'application/json': {
                    schema: {
                      properties: {
                        inputs: {
                          properties: { a: { 'x-tensor-type': 'int32', 'x-tensor-shape': [3] } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      })?.inputs,
    ).toEqual([{ name: 'a', type: 'int32', shape: [3] }]);
    expect(readSignature(null)).toBeNull();
    expect(sampleTensor(signature.inputs[0]!)).toEqual([[0.5, 0.5, 0.5, 0.5]]);
    expect(sampleTensor(signature.inputs[1]!)).toEqual([0, 0]);
  });

  it('prefills one editor per input and emits parsed inputs', async () => {
    const w = mountWithApp(SchemaForm, { props: { signature } });
    expect(w.text()).toContain('float32');
    expect(w.text()).toContain('shape [N, 4]');
    const x = w.find('textarea[data-input="x"]');
    expect(JSON.parse((x.element as HTMLTextAreaElement).value)).toEqual([[0.5, 0.5, 0.5, 0.5]]);
    await x.setValue('[[1, 2, 3, 4], [5, 6, 7, 8]]');
    await w.find('form').trigger('submit');
    expect(w.emitted('predict')![0]![0]).toEqual({
      x: [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      ids: [0, 0],
    });
  });

  it('blocks invalid JSON and wrong fixed dimensions', async () => {
    const w = mountWithApp(SchemaForm, { props: { signature } });
    await w.find('textarea[data-input="x"]').setValue('[[1, 2]');
    expect(w.text()).toContain('not valid JSON');
    await w.find('textarea[data-input="x"]').setValue('[[1, 2, 3]]');
    expect(w.text()).toContain('dimension 1 has 3 items, expected 4');
    await w.find('form').trigger('submit');
    expect(w.emitted('predict')).toBeUndefined();
  });

  it('shows outputs with their dims', async () => {
    const w = mountWithApp(SchemaForm, {
      props: {
        signature,
        result: { outputs: { y: { type: 'float32', dims: [1, 1], data: [[0.25]] } } },
      },
    });
    await flushPromises();
    expect(w.find('[data-testid="predict-outputs"]').text()).toContain('dims [1, 1]');
    expect(w.find('[data-testid="predict-outputs"]').text()).toContain('0.25');
  });
});
