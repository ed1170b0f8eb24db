import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demuxDockerLogs, LineRing, tailFile, trimFile } from './logs.js';

describe('LineRing', () => {
  it('keeps the last lines and joins partial lines across pushes', () => {
    const ring = new LineRing(3);
    ring.push('a\nb\nc');
    ring.push('c\nd\ne\n');
    expect(ring.last()).toEqual(['cc', 'd', 'e']);
    expect(ring.last(2)).toEqual(['d', 'e']);
    ring.push('partial');
    expect(ring.last(2)).toEqual(['e', 'partial']);
  });
});

describe('log files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-logs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tails the last lines of a large file', async () => {
    const file = path.join(dir, 'big.log');
    await writeFile(file, Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(await tailFile(file, 3)).toEqual(['line 49997', 'line 49998', 'line 49999']);
    expect(await tailFile(path.join(dir, 'missing.log'), 3)).toEqual([]);
  });

  it('trims a file back to its last half on a line boundary, and appends after it', async () => {
    const file = path.join(dir, 'trim.log');
    await writeFile(file, Array.from({ length: 1000 }, (_, i) => `entry ${i}`).join('\n') + '\n');
    expect(await trimFile(file, 4000)).toBe(true);
    await appendFile(file, 'after\n');
    const text = await readFile(file, 'utf8');
    expect(text.length).toBeLessThan(2200);
    expect(text.startsWith('[log trimmed')).toBe(true);
    expect(
      text
        .split('\n')
        .slice(1, -2)
        .every((l) => /^entry \d+$/.test(l)),
    ).toBe(true);
    expect(text.endsWith('entry 999\nafter\n')).toBe(true);
    expect(await trimFile(file, 1_000_000)).toBe(false);
  });
});

describe('demuxDockerLogs', () => {
  it('joins stdout and stderr frames', () => {
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    expect(demuxDockerLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe(
      'out\nerr\n',
    );
    expect(demuxDockerLogs(Buffer.from('plain tty text\n'))).toBe('plain tty text\n');
  });
});
