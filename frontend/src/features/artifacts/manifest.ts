/** A tensor of an ONNX (or FNNX) signature, as the dashboard shows it. */
export interface TensorRow {
  name: string;
  dtype: string;
  shape: string;
}

/** What the manifest viewer can render from an artifact's free-form `manifest`. */
export interface ManifestView {
  inputs: TensorRow[];
  outputs: TensorRow[];
  /** Header key/values (GGUF metadata) or the manifest's other scalar fields. */
  header: { key: string; value: string }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v))
    return v.length > 16
      ? `[${v.slice(0, 16).map(str).join(', ')}, … ${v.length} items]`
      : `[${v.map(str).join(', ')}]`;
  if (isRecord(v)) {
    // GGUF arrays (vocabularies) are summarised by the API as { type: 'array', itemType, length }.
    if (v.type === 'array' && typeof v.length === 'number')
      return `array of ${v.length} ${str(v.itemType) || 'items'}`;
    return JSON.stringify(v);
  }
  return String(v);
}

function tensors(v: unknown): TensorRow[] {
  if (isRecord(v))
    v = Object.entries(v).map(([name, t]) => ({ name, ...(isRecord(t) ? t : { type: t }) }));
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).map((t) => {
    const shape = t.shape ?? t.dims ?? t.dimensions;
    return {
      name: str(t.name) || '—',
      dtype: str(t.dtype ?? t.type ?? t.elemType ?? t.elementType ?? t.data_type) || '—',
      shape: Array.isArray(shape)
        ? `[${shape.map((d) => (d === null || d === undefined || d === -1 ? '?' : str(d))).join(', ')}]`
        : str(shape) || '—',
    };
  });
}

/**
 * Reads the parts of a manifest the viewer knows: an ONNX-style signature (`inputs`/`outputs`,
 * also under `signature` or `schema`) and GGUF header key/values (`metadata`, `header`, `kv`).
 * Other scalar fields join the header table; the raw JSON stays available.
 */
export function readManifest(manifest: unknown): ManifestView {
  const m = isRecord(manifest) ? manifest : {};
  const sig = [m, m.signature, m.schema].find(
    (x) => isRecord(x) && (Array.isArray(x.inputs) || isRecord(x.inputs)),
  ) as Record<string, unknown> | undefined;
  const inputs = tensors(sig?.inputs);
  const outputs = tensors(sig?.outputs);
  const kvSource = [
    m.metadata,
    m.header,
    m.kv,
    isRecord(m.gguf) ? (m.gguf.metadata ?? m.gguf) : undefined,
  ].find(isRecord);
  const header: { key: string; value: string }[] = [];
  if (kvSource)
    for (const [key, value] of Object.entries(kvSource)) header.push({ key, value: str(value) });
  for (const [key, value] of Object.entries(m)) {
    if (
      ['inputs', 'outputs', 'signature', 'schema', 'metadata', 'header', 'kv', 'gguf'].includes(key)
    )
      continue;
    if (isRecord(value)) continue;
    header.push({ key, value: str(value) });
  }
  return { inputs, outputs, header };
}
