#!/usr/bin/env node
// `npm run bench -- <name> [args]`: builds what benchmarks import, then runs bench/<name>.bench.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace('.bench.mjs', ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(2);
}
if (!process.env.APOGEE_BENCH_NO_BUILD) {
  const b = spawnSync('npm', ['run', 'build', '--workspaces', '--if-present'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: path.join(here, '..'),
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(process.execPath, [path.join(here, `${name}.bench.mjs`), ...args], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
