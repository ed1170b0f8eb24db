import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Files reachable from `entry` through static imports (dynamic `import()` is how Node-only code loads). */
function staticGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const src = readFileSync(entry, 'utf8');
  for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)';/gms)) {
    const spec = m[1]!;
    if (spec.startsWith('.'))
      staticGraph(resolve(dirname(entry), spec.replace(/\.js$/, '.ts')), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('browser safety', () => {
  it('keeps node: built-ins out of the static import graph of the main entry', () => {
    const graph = [...staticGraph(join(here, 'index.ts'))];
    expect(
      graph.filter((x) => x.startsWith('node:') || ['fs', 'path', 'os', 'crypto'].includes(x)),
    ).toEqual([]);
    expect(graph.some((x) => x.endsWith('/resources/artifacts.ts'))).toBe(true);
    expect(graph.some((x) => x.includes('/node/'))).toBe(false);
  });
});
