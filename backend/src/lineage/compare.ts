import type { ArtifactFacts } from './artifact-facts.service.js';
import type { CompareResponseDto, SchemaDiffDto } from './dto/lineage.dto.js';

type Spec = Map<string, string>;

/** `manifest.inputs`/`outputs` as name → canonical JSON of the rest (arrays of `{name}` or maps). */
export function schemaSide(manifest: Record<string, unknown>, side: 'inputs' | 'outputs'): Spec {
  const raw = manifest?.[side];
  const out: Spec = new Map();
  if (Array.isArray(raw)) {
    raw.forEach((x, i) => {
      const name =
        x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string'
          ? (x as { name: string }).name
          : `#${i}`;
      out.set(name, canonical(x));
    });
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) out.set(k, canonical(v));
  }
  return out;
}

export function schemaDiff(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  side: 'inputs' | 'outputs',
): SchemaDiffDto {
  const a = schemaSide(from, side);
  const b = schemaSide(to, side);
  const added = [...b.keys()].filter((k) => !a.has(k));
  const removed = [...a.keys()].filter((k) => !b.has(k));
  const changed = [...b.keys()]
    .filter((k) => a.has(k) && a.get(k) !== b.get(k))
    .map((k) => ({
      name: k,
      from: JSON.parse(a.get(k)!) as unknown,
      to: JSON.parse(b.get(k)!) as unknown,
    }));
  return { added, removed, changed };
}

/** True when inputs and outputs declare the same tensors (names, types, shapes). */
export function schemasMatch(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const side of ['inputs', 'outputs'] as const) {
    const d = schemaDiff(a, b, side);
    if (d.added.length || d.removed.length || d.changed.length) return false;
  }
  return true;
}

function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

type MetricValue = number | string | boolean | null;

function metricValue(v: unknown): MetricValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'
    ? v
    : v === undefined || v === null
      ? null
      : JSON.stringify(v);
}

/**
 * Side-by-side comparison of artifacts in the order given (`versions[i]` labels item i when they
 * are track versions). Diffs are between consecutive items.
 */
export function compareArtifacts(
  items: ArtifactFacts[],
  versions: (number | null)[] = [],
): CompareResponseDto {
  const keys = [...new Set(items.flatMap((a) => Object.keys(a.metrics)))].sort();
  return {
    items: items.map((a, i) => ({
      artifactId: a.id,
      version: versions[i] ?? null,
      name: a.name,
      format: a.format,
      fileName: a.fileName,
      size: a.size,
      sha256: a.sha256,
      tags: a.tags,
      metrics: a.metrics,
      createdAt: a.createdAt,
    })),
    metrics: keys.map((key) => ({ key, values: items.map((a) => metricValue(a.metrics[key])) })),
    diffs: items.slice(1).map((to, i) => {
      const from = items[i]!;
      const changed = keys
        .filter(
          (k) =>
            k in from.metrics &&
            k in to.metrics &&
            canonical(from.metrics[k]) !== canonical(to.metrics[k]),
        )
        .map((k) => {
          const a = from.metrics[k];
          const b = to.metrics[k];
          return {
            key: k,
            from: metricValue(a),
            to: metricValue(b),
            delta: typeof a === 'number' && typeof b === 'number' ? b - a : null,
          };
        });
      return {
        fromArtifactId: from.id,
        toArtifactId: to.id,
        fromVersion: versions[i] ?? null,
        toVersion: versions[i + 1] ?? null,
        inputs: schemaDiff(from.manifest, to.manifest, 'inputs'),
        outputs: schemaDiff(from.manifest, to.manifest, 'outputs'),
        tags: {
          added: to.tags.filter((t) => !from.tags.includes(t)),
          removed: from.tags.filter((t) => !to.tags.includes(t)),
        },
        metrics: {
          added: Object.keys(to.metrics)
            .filter((k) => !(k in from.metrics))
            .sort(),
          removed: Object.keys(from.metrics)
            .filter((k) => !(k in to.metrics))
            .sort(),
          changed,
        },
        files: {
          from: { fileName: from.fileName, size: from.size, sha256: from.sha256 },
          to: { fileName: to.fileName, size: to.size, sha256: to.sha256 },
          fileNameChanged: from.fileName !== to.fileName,
          contentChanged: from.sha256 !== to.sha256,
          sizeDelta: to.size - from.size,
        },
      };
    }),
    trend: [],
  };
}
