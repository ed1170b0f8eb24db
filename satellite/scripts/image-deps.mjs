#!/usr/bin/env node
// Prints, one per line, the installed package directories (relative to the repository root) that
// the model server needs at run time: the dependency closure of onnxruntime-node and
// node-llama-cpp as npm laid it out, resolved the way Node resolves them. Used by build-image.sh.
//
// Usage: node image-deps.mjs REPO_ROOT [package...]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const roots =
  process.argv.length > 3 ? process.argv.slice(3) : ['onnxruntime-node', 'node-llama-cpp'];
const start = path.join(root, 'satellite');

function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir) || !dir.startsWith(root)) return undefined;
  }
}

const seen = new Set();
const queue = roots.map((name) => {
  const dir = resolvePackage(name, start);
  if (!dir) throw new Error(`${name} is not installed; run npm install`);
  return dir;
});
while (queue.length) {
  const dir = queue.pop();
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
  for (const name of Object.keys(deps)) {
    const found = resolvePackage(name, dir);
    // A missing optional dependency (other platform) is expected; a missing required one is not.
    if (!found) {
      if (pkg.optionalDependencies?.[name]) continue;
      throw new Error(`${name}, required by ${pkg.name}, is not installed`);
    }
    queue.push(found);
  }
}
for (const dir of [...seen].sort()) console.log(path.relative(root, dir));
