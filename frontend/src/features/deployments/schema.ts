/** One model input or output as the model server declares it (`x-apogee-signature`). */
export interface TensorSignature {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface ModelSignature {
  format: 'onnx' | 'gguf' | string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/**
 * The signature inside a deployment's schema (the model's OpenAPI document): its
 * `x-apogee-signature`, else the `/predict` request body's `inputs` properties with their
 * `x-tensor-type` / `x-tensor-shape`.
 */
export function readSignature(
  schema: Record<string, unknown> | null | undefined,
): ModelSignature | null {
  if (!schema) return null;
  const sig = schema['x-apogee-signature'] as ModelSignature | undefined;
  if (sig && Array.isArray(sig.inputs)) return { ...sig, outputs: sig.outputs ?? [] };
  try {
    const paths = schema.paths as Record<string, Record<string, any>>;
    const body = paths['/predict']!.post.requestBody.content['application/json'].schema;
    const props = body.properties.inputs.properties as Record<string, Record<string, unknown>>;
    return {
      format: 'onnx',
      inputs: Object.entries(props).map(([name, p]) => ({
        name,
        type: String(p['x-tensor-type'] ?? 'float32'),
        shape: (p['x-tensor-shape'] as (number | string)[]) ?? [],
      })),
      outputs: [],
    };
  } catch {
    return null;
  }
}

function sampleValue(type: string): unknown {
  if (type === 'bool') return false;
  if (type === 'string') return '';
  if (type.startsWith('int') || type.startsWith('uint')) return 0;
  return 0.5;
}

/** A sample tensor for an input: symbolic or unknown dimensions become 1 (at most 64 per dim). */
export function sampleTensor(sig: TensorSignature): unknown {
  const dims = sig.shape.map((d) => (typeof d === 'number' && d > 0 ? Math.min(d, 64) : 1));
  const build = (i: number): unknown =>
    i >= dims.length ? sampleValue(sig.type) : Array.from({ length: dims[i]! }, () => build(i + 1));
  return build(0);
}

/** Compact JSON: inner-most arrays on one line. */
export function prettyTensor(v: unknown): string {
  const compact = JSON.stringify(v);
  if (compact.length <= 72) return compact;
  const s = JSON.stringify(v, null, 1);
  return s.replace(
    /\[\s+([^[\]]*?)\s+\]/g,
    (_m, inner: string) => `[${inner.replace(/\s*\n\s*/g, ' ')}]`,
  );
}

/** Checks a parsed value's nesting against fixed dimensions; returns a message or null. */
export function checkShape(value: unknown, shape: (number | string)[]): string | null {
  let cur: unknown = value;
  for (let i = 0; i < shape.length; i++) {
    if (!Array.isArray(cur)) return `expected ${shape.length} nested arrays, found ${i}`;
    const d = shape[i];
    if (typeof d === 'number' && d >= 0 && cur.length !== d)
      return `dimension ${i} has ${cur.length} items, expected ${d}`;
    cur = cur[0];
  }
  return null;
}
