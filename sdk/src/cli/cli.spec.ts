import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, FakeTransferApi, sha } from '../test-utils/fake-transfer-api.js';
import { apiError, json, type SeenRequest } from '../test-utils/server.js';
import { main, parseMetrics } from './main.js';

/** Captures what the CLI writes; not a terminal, so progress comes as plain lines. */
class Capture {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

let api: FakeTransferApi;
let home: string;
let work: string;

/** Routes the CLI needs besides the transfer protocol: the user, orgs, orbits, collections. */
function accountRoutes(req: SeenRequest, res: ServerResponse): boolean {
  if (req.headers.authorization !== 'Bearer apg_good' && !req.path.startsWith('/storage/')) {
    apiError(res, 401, 'unauthenticated', 'Invalid or expired credentials');
    return true;
  }
  const org = { id: 'org-1', name: 'acme', role: 'owner' };
  const orbit = { id: 'orbit-1', name: 'vision', description: 'cv models' };
  const col = { id: 'col-1', name: 'classifiers', type: 'model', tags: [] };
  const routes: Record<string, unknown> = {
    'GET /v1/users/me': { id: 'u1', email: 'ada@example.com', fullName: 'Ada' },
    'GET /v1/organizations': [org],
    'GET /v1/organizations/org-1/orbits': [orbit],
    'GET /v1/organizations/org-1/orbits/orbit-1/collections': { items: [col], nextCursor: null },
  };
  const body = routes[`${req.method} ${req.path}`];
  if (body === undefined) return false;
  json(res, 200, body);
  return true;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr, home });
  return { code, out: stdout.text, err: stderr.text };
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'apogee-home-'));
  work = await mkdtemp(join(tmpdir(), 'apogee-work-'));
  api = await new FakeTransferApi({ extra: accountRoutes }).start();
});
afterEach(async () => {
  await api.stop();
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe('apogee CLI', () => {
  it('logs in with an API key and stores it readable by the owner only', async () => {
    const r = await run('login', '--api-key', 'apg_good', '--base-url', api.url);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`Logged in as ada@example.com at ${api.url}\n`);
    const file = join(home, 'config.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      baseURL: api.url,
      apiKey: 'apg_good',
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a bad key with the API message and request id, exit code 1', async () => {
    const r = await run('login', '--api-key', 'apg_bad', '--base-url', api.url);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: Invalid or expired credentials (401 unauthenticated, request req-401)\n',
    );
    expect(existsSync(join(home, 'config.json'))).toBe(false);
  });

  it('prints errors as JSON with --json', async () => {
    const r = await run('--json', '--base-url', api.url, '--api-key', 'apg_bad', 'whoami');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err)).toEqual({
      error: {
        status: 401,
        code: 'unauthenticated',
        message: 'Invalid or expired credentials',
        requestId: 'req-401',
      },
    });
  });

  it('exits 2 on usage errors', async () => {
    expect((await run('push')).code).toBe(2);
    expect((await run('no-such-command')).code).toBe(2);
    const r = await run('whoami');
    expect(r.code).toBe(2);
    expect(r.err).toContain('not logged in');
  });

  it('shows the user, organizations and orbits', async () => {
    await run('login', '--api-key', 'apg_good', '--base-url', api.url);
    expect((await run('whoami')).out).toBe('ada@example.com (Ada)\n');
    expect(JSON.parse((await run('--json', 'whoami')).out)).toMatchObject({
      email: 'ada@example.com',
    });
    expect((await run('orgs', 'ls')).out).toBe('ID     NAME  ROLE\norg-1  acme  owner\n');
    expect((await run('orbits', 'ls', '--org', 'acme')).out).toContain(
      'orbit-1  vision  cv models',
    );
  });

  it('pushes with plain progress lines when not on a terminal, then lists and pulls', async () => {
    await run('login', '--api-key', 'apg_good', '--base-url', api.url);
    expect(
      (await run('use', '--org', 'acme', '--orbit', 'vision', '--collection', 'classifiers')).code,
    ).toBe(0);
    const content = bytes(300_000, 8);
    const file = join(work, 'resnet.onnx');
    await writeFile(file, content);

    const push = await run(
      'push',
      file,
      '--tag',
      'prod',
      '--metric',
      'accuracy=0.93',
      '--metric',
      'loss=0.2',
    );
    expect(push.code).toBe(0);
    const lines = push.err.trim().split('\n');
    expect(lines[0]).toMatch(/^hashing \d+%/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^uploading 100% 293\.0 KiB \/ 293\.0 KiB .*\/s {2}ETA 0s$/),
    );
    expect(lines.at(-1)).toMatch(/^verifying 100%/);
    expect(push.err).not.toContain('\r');
    expect(push.out).toMatch(
      /^Uploaded resnet\.onnx \([0-9a-f-]{36}\), 293\.0 KiB, sha256 [0-9a-f]{64}\n$/,
    );
    const [stored] = [...api.artifacts.values()];
    expect(stored!.artifact).toMatchObject({
      status: 'uploaded',
      tags: ['prod'],
      metrics: { accuracy: 0.93, loss: 0.2 },
    });

    const ls = await run('--json', 'ls', '--sort', 'metrics.accuracy', '--order', 'desc');
    expect(ls.code).toBe(0);
    const items = JSON.parse(ls.out) as { id: string }[];
    expect(items.map((a) => a.id)).toEqual([stored!.artifact.id]);
    const listReq = api.server.requests
      .filter((r) => r.path.endsWith('/orbits/orbit-1/artifacts'))
      .at(-1)!;
    expect(listReq.query.get('sort')).toBe('metrics.accuracy');
    expect(listReq.query.get('order')).toBe('desc');

    const pull = await run('pull', stored!.artifact.id, join(work, 'copy.onnx'));
    expect(pull.code).toBe(0);
    expect(pull.out).toBe(
      `Downloaded ${join(work, 'copy.onnx')}, 293.0 KiB, sha256 ${sha(content)} verified\n`,
    );
    expect(sha(await readFile(join(work, 'copy.onnx')))).toBe(sha(content));
  });

  it('prints no progress with --json, only the result', async () => {
    await run('login', '--api-key', 'apg_good', '--base-url', api.url);
    const file = join(work, 'small.bin');
    await writeFile(file, bytes(1000));
    const r = await run(
      '--json',
      'push',
      file,
      '--org',
      'org-1',
      '--orbit',
      'vision',
      '--collection',
      'classifiers',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ status: 'uploaded', size: 1000 });
  });

  it('parses metrics as numbers and refuses anything else', () => {
    expect(parseMetrics(['a=1', 'b=0.5', 'e=1e-3'])).toEqual({ a: 1, b: 0.5, e: 0.001 });
    expect(() => parseMetrics(['novalue'])).toThrow(/key=value/);
    expect(() => parseMetrics(['d=fp16'])).toThrow(/finite number/);
  });
});
