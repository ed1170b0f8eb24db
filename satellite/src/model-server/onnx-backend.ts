import * as ort from 'onnxruntime-node';
import { HttpError, InvalidRequest, ModelLoadFailed, ensureError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ModelBackend } from './backend.js';
import { isRecord, type Router } from './http.js';
import { onnxOpenApi, type ModelSignature, type TensorSignature } from './openapi.js';
import { decodeTensor, encodeTensor, type EncodedTensor } from './tensors.js';

/** Options of {@link loadOnnxBackend}. */
export interface OnnxBackendOptions {
  modelPath: string;
  modelId: string;
  /** onnxruntime intra-op threads; 0 lets onnxruntime decide. */
  threads: number;
  log: Logger;
}

function signatureOf(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSignature[] {
  return meta.map((m) =>
    m.isTensor
      ? {
          name: m.name,
          type: m.type,
          shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
        }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

/** Loads an ONNX model with onnxruntime-node (CPU) and serves `POST /predict`. */
export async function loadOnnxBackend(options: OnnxBackendOptions): Promise<ModelBackend> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.modelPath, {
      executionProviders: ['cpu'],
      ...(options.threads > 0 ? { intraOpNumThreads: options.threads } : {}),
    });
  } catch (e) {
    throw new ModelLoadFailed(options.modelPath, e);
  }
  const signature: ModelSignature = {
    format: 'onnx',
    modelId: options.modelId,
    inputs: signatureOf(session.inputMetadata),
    outputs: signatureOf(session.outputMetadata),
  };
  options.log.info('onnx model loaded', { inputs: signature.inputs, outputs: signature.outputs });
  const openApi = onnxOpenApi(signature);

  async function predict(body: unknown): Promise<{ outputs: Record<string, EncodedTensor> }> {
    if (!isRecord(body) || !isRecord(body.inputs)) {
      throw new InvalidRequest(
        'Expected a JSON object { "inputs": { "<name>": value } }',
        'inputs',
      );
    }
    const given = body.inputs;
    const known = new Set(signature.inputs.map((i) => i.name));
    const unknown = Object.keys(given).filter((k) => !known.has(k));
    if (unknown.length) {
      throw new InvalidRequest(
        `Unknown inputs: ${unknown.join(', ')}; the model takes ${[...known].join(', ')}`,
        unknown[0],
      );
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of signature.inputs) {
      if (!(input.name in given))
        throw new InvalidRequest(`Missing input ${input.name}`, input.name);
      const t = decodeTensor(input.name, given[input.name], input.type, input.shape);
      feeds[input.name] = new ort.Tensor(t.type, t.data, t.dims);
    }
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(feeds);
    } catch (e) {
      // onnxruntime rejects shape/type mismatches it found deeper in the graph: the caller's inputs.
      throw new HttpError(
        422,
        'inference_failed',
        `The model rejected the inputs: ${ensureError(e).message}`,
        { cause: e },
      );
    }
    const outputs: Record<string, EncodedTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      if (!(value instanceof ort.Tensor)) {
        throw new HttpError(
          500,
          'unsupported_output',
          `Output ${name} is not a tensor and cannot be returned as JSON`,
        );
      }
      outputs[name] = encodeTensor(value.type, value.dims, value.data as ArrayLike<unknown>);
      value.dispose();
    }
    return { outputs };
  }

  return {
    format: 'onnx',
    register(router: Router) {
      router.on('POST', '/predict', async (ctx) => predict(await ctx.json()));
    },
    openApi: () => openApi,
    describe: () => ({ inputs: signature.inputs, outputs: signature.outputs }),
    async close() {
      await session.release();
    },
  };
}
