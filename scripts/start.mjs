#!/usr/bin/env node
// `npm start [-- --port N] [-- --data-dir DIR]`: builds what is missing or stale, then runs the
// whole platform on its embedded defaults (PGlite + local-disk storage under ./.apogee).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm start [-- --port 8080] [--data-dir ./.apogee] [--no-build]\nEnvironment variables: see README.md (Configuration).',
  );
  process.exit(0);
}

/** Newest modification time under a directory (skipping build output and dependencies). */
function newest(dir) {
  let max = 0;
  if (!fs.existsSync(dir)) return max;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.apogee'].includes(e.name)) continue;
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return max;
}

function stale(pkg, marker) {
  const out = path.join(root, pkg, marker);
  return !fs.existsSync(out) || newest(path.join(root, pkg, 'src')) > fs.statSync(out).mtimeMs;
}

const builds = [
  ['sdk', 'dist/esm/index.js'],
  ['backend', 'dist/main.js'],
  ['satellite', 'dist'],
  ['frontend', 'dist/index.html'],
].filter(
  ([pkg, marker]) =>
    fs.existsSync(path.join(root, pkg, 'package.json')) && hasBuild(pkg) && stale(pkg, marker),
);

function hasBuild(pkg) {
  return Boolean(
    JSON.parse(fs.readFileSync(path.join(root, pkg, 'package.json'), 'utf8')).scripts?.build,
  );
}

if (!values['no-build']) {
  for (const [pkg] of builds) {
    process.stdout.write(`Building ${pkg}…\n`);
    const r = spawnSync('npm', ['run', 'build', '-w', pkg], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) {
      console.error(`Build of ${pkg} failed (npm run build -w ${pkg}).`);
      process.exit(r.status ?? 1);
    }
  }
}

const env = { ...process.env };
if (values.port) env.PORT = values.port;
if (values['data-dir']) env.APOGEE_DATA_DIR = values['data-dir'];
env.APOGEE_DATA_DIR ??= path.join(root, '.apogee');

const children = [];
function run(label, file, childEnv) {
  const child = spawn(process.execPath, [file], { cwd: root, env: childEnv, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${label} exited (${signal ?? code}); stopping Apogee.`);
      stop(code ?? 1);
    }
  });
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const force = setTimeout(
    () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')),
    10_000,
  );
  force.unref();
  Promise.all(
    children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('API', path.join(root, 'backend', 'dist', 'main.js'), env);
const localSatellite = path.join(root, 'satellite', 'dist', 'local.js');
if (fs.existsSync(localSatellite) && env.APOGEE_LOCAL_SATELLITE !== 'false')
  run('Local satellite', localSatellite, env);
