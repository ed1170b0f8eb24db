/** One input or output of a model graph, as read from its metadata. */
export interface TensorSignature {
  name: string;
  /** Element type (`float32`, `int64`, ...), or `non-tensor` for sequences and maps. */
  type: string;
  /** Dimensions: numbers for fixed ones, strings for symbolic ones (`N`), `[]` when unknown. */
  shape: (number | string)[];
}

/** A model's inputs and outputs, shipped as `x-apogee-signature` in its OpenAPI document. */
export interface ModelSignature {
  format: 'onnx' | 'gguf';
  modelId: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

type Schema = Record<string, unknown>;

function elementSchema(type: string): Schema {
  switch (type) {
    case 'float32':
    case 'float64':
      return { type: 'number' };
    case 'int64':
    case 'uint64':
      return { oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?\\d+$' }] };
    case 'bool':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    default:
      return type.startsWith('int') || type.startsWith('uint') ? { type: 'integer' } : {};
  }
}

function nestedArraySchema(sig: TensorSignature): Schema {
  let schema = elementSchema(sig.type);
  for (let i = sig.shape.length - 1; i >= 0; i--) {
    const d = sig.shape[i];
    schema = {
      type: 'array',
      items: schema,
      ...(typeof d === 'number' && d >= 0 ? { minItems: d, maxItems: d } : {}),
    };
  }
  return schema;
}

function tensorInputSchema(sig: TensorSignature): Schema {
  return {
    description: `${sig.type} tensor of shape [${sig.shape.join(', ')}]`,
    'x-tensor-type': sig.type,
    'x-tensor-shape': sig.shape,
    oneOf: [
      nestedArraySchema(sig),
      {
        type: 'object',
        required: ['data', 'dims'],
        additionalProperties: false,
        properties: {
          data: {
            type: 'array',
            items: elementSchema(sig.type),
            description: 'values in row-major order',
          },
          dims: { type: 'array', items: { type: 'integer', minimum: 0 } },
        },
      },
    ],
  };
}

function tensorOutputSchema(sig: TensorSignature): Schema {
  return {
    type: 'object',
    description: `${sig.type} tensor of shape [${sig.shape.join(', ')}]`,
    required: ['type', 'dims', 'data'],
    properties: {
      type: { type: 'string', const: sig.type },
      dims: { type: 'array', items: { type: 'integer', minimum: 0 } },
      data: nestedArraySchema(sig),
    },
  };
}

const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'string' },
        param: { type: ['string', 'null'] },
      },
    },
  },
};

const HEALTH_PATH = {
  get: {
    operationId: 'healthz',
    summary: 'Liveness and readiness: 200 once the model is loaded, 503 while loading',
    responses: { '200': { description: 'ready' }, '503': { description: 'loading or failed' } },
  },
};

/** Builds the OpenAPI 3.1 document of an ONNX model's `/predict` from its graph signature. */
export function onnxOpenApi(sig: ModelSignature): Schema {
  const inputProps = Object.fromEntries(sig.inputs.map((i) => [i.name, tensorInputSchema(i)]));
  const outputProps = Object.fromEntries(sig.outputs.map((o) => [o.name, tensorOutputSchema(o)]));
  return {
    openapi: '3.1.0',
    info: { title: `Apogee model server: ${sig.modelId}`, version: '1' },
    paths: {
      '/predict': {
        post: {
          operationId: 'predict',
          summary: 'Run the model on one batch of inputs',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/PredictRequest' } },
            },
          },
          responses: {
            '200': {
              description: 'outputs',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } },
              },
            },
            '400': {
              description: 'invalid inputs',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '422': {
              description: 'the runtime rejected the inputs',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          },
        },
      },
      '/healthz': HEALTH_PATH,
    },
    components: {
      schemas: {
        PredictRequest: {
          type: 'object',
          required: ['inputs'],
          properties: {
            inputs: {
              type: 'object',
              required: sig.inputs.map((i) => i.name),
              additionalProperties: false,
              properties: inputProps,
            },
          },
        },
        PredictResponse: {
          type: 'object',
          required: ['outputs'],
          properties: {
            outputs: {
              type: 'object',
              required: sig.outputs.map((o) => o.name),
              properties: outputProps,
            },
          },
        },
        Error: ERROR_SCHEMA,
      },
    },
    'x-apogee-signature': sig,
  };
}

/** Builds the OpenAPI 3.1 document of a GGUF model's OpenAI-compatible endpoints. */
export function llmOpenApi(modelId: string, meta: Record<string, unknown>): Schema {
  const json = (description: string) => ({
    description,
    content: { 'application/json': { schema: { type: 'object' } } },
  });
  const post = (operationId: string, summary: string) => ({
    post: {
      operationId,
      summary,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      responses: {
        '200': {
          description: 'OpenAI-compatible response; `text/event-stream` when `stream` is true',
        },
        '400': json('invalid request'),
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: `Apogee model server: ${modelId}`,
      version: '1',
      description: 'OpenAI-compatible API over llama.cpp',
    },
    paths: {
      '/v1/chat/completions': post('createChatCompletion', 'Chat completion (OpenAI)'),
      '/v1/completions': post('createCompletion', 'Text completion (OpenAI)'),
      '/v1/embeddings': post('createEmbedding', 'Embeddings (OpenAI)'),
      '/v1/models': {
        get: { operationId: 'listModels', responses: { '200': json('the served model') } },
      },
      '/healthz': HEALTH_PATH,
    },
    components: { schemas: { Error: ERROR_SCHEMA } },
    'x-apogee-signature': {
      format: 'gguf',
      modelId,
      inputs: [],
      outputs: [],
    } satisfies ModelSignature,
    'x-apogee-model': meta,
  };
}
