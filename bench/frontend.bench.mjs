#!/usr/bin/env node
// `npm run bench -- frontend`: gzipped JavaScript the browser needs for the first page.
// Counts the scripts index.html loads (entry + modulepreloads) plus the chunks the sign-in route
// imports (found through Vite's build manifest), and fails above the budget (1 MB gzipped).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { printTable } from './lib.mjs';

const BUDGET = 1024 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'frontend', 'dist');
const manifestPath = path.join(dist, '.vite', 'manifest.json');

if (!fs.existsSync(manifestPath)) {
  const b = spawnSync('npm', ['run', 'build:only', '-w', 'frontend'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const gz = (file) => zlib.gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
const raw = (file) => fs.statSync(path.join(dist, file)).size;

/** JS files index.html loads: the entry module and its modulepreloads. */
const htmlJs = [
  ...html.matchAll(
    /<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/?([^"]+\.js)"/g,
  ),
].map((m) => m[1]);

/** A manifest chunk's file and everything it imports statically, recursively. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const dep of chunk.imports ?? []) closure(dep, seen);
  return seen;
}

const signInKey = Object.keys(manifest).find((k) =>
  k.endsWith('features/auth/views/SignInView.vue'),
);
if (!signInKey) throw new Error('SignInView not found in the Vite manifest');
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const files = new Set([...htmlJs, ...closure(entryKey), ...closure(signInKey)]);

const rows = [...files].sort().map((f) => ({ file: f, bytes: raw(f), gzip: gz(f) }));
const total = rows.reduce((a, r) => a + r.gzip, 0);
const all = fs
  .readdirSync(path.join(dist, 'assets'))
  .filter((f) => f.endsWith('.js'))
  .reduce((a, f) => a + gz(path.join('assets', f)), 0);
printTable(rows);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `\nfirst page (index.html + sign-in route): ${kb(total)} gzipped JS in ${rows.length} files (budget ${kb(BUDGET)})`,
);
console.log(`whole dashboard, every route: ${kb(all)} gzipped JS`);
if (total > BUDGET) {
  console.error(`over budget by ${kb(total - BUDGET)}`);
  process.exit(1);
}
