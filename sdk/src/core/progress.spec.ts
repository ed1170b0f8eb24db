import { describe, expect, it } from 'vitest';
import { ProgressView } from '../cli/progress-view.js';
import { ProgressTracker, type TransferProgress } from './progress.js';

describe('ProgressTracker', () => {
  it('measures speed over the recent window and derives the ETA from it', () => {
    let now = 0;
    const seen: TransferProgress[] = [];
    const t = new ProgressTracker(
      'uploading',
      1000,
      (p) => seen.push(p),
      0,
      5000,
      () => now,
    );
    now = 1000;
    t.add(100);
    now = 2000;
    t.add(100);
    expect(seen.at(-1)).toEqual({
      phase: 'uploading',
      loadedBytes: 200,
      totalBytes: 1000,
      bytesPerSecond: 100,
      etaSeconds: 8,
    });
    // After a stall longer than the window, the old fast samples no longer count.
    now = 10_000;
    t.add(0);
    now = 11_000;
    t.add(10);
    expect(seen.at(-1)!.bytesPerSecond).toBeLessThan(10);
  });

  it('takes back the bytes of a failed attempt and reports a phase as done on finish', () => {
    const seen: TransferProgress[] = [];
    const t = new ProgressTracker('uploading', 100, (p) => seen.push(p), 0);
    t.add(60);
    t.add(-60);
    expect(seen.at(-1)!.loadedBytes).toBe(0);
    t.finish();
    expect(seen.at(-1)).toMatchObject({ loadedBytes: 100, etaSeconds: 0 });
  });

  it('throttles reports but always reports phase starts', () => {
    const now = 0;
    const seen: TransferProgress[] = [];
    const t = new ProgressTracker(
      'hashing',
      100,
      (p) => seen.push(p),
      200,
      5000,
      () => now,
    );
    t.start('hashing', 100);
    for (let i = 0; i < 10; i++) t.add(1);
    t.start('uploading', 100);
    expect(seen.map((p) => p.phase)).toEqual(['hashing', 'uploading']);
  });
});

describe('ProgressView', () => {
  const p = (phase: TransferProgress['phase'], loadedBytes: number): TransferProgress => ({
    phase,
    loadedBytes,
    totalBytes: 2048,
    bytesPerSecond: 1024,
    etaSeconds: (2048 - loadedBytes) / 1024,
  });

  it('redraws one bar line per phase on a terminal', () => {
    let out = '';
    const view = new ProgressView({ isTTY: true, columns: 100, write: (s: string) => (out += s) });
    view.update(p('uploading', 1024));
    view.update(p('uploading', 2048));
    view.update(p('verifying', 2048));
    view.end();
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('\r');
    expect(lines[0]).toContain(' 50%  1.0 KiB / 2.0 KiB  1.0 KiB/s  ETA 1s');
    expect(lines[0]).toContain('█');
    expect(lines[1]).toContain('verifying');
  });

  it('writes plain lines, one per phase end, when not on a terminal', () => {
    let out = '';
    const view = new ProgressView({ isTTY: false, write: (s: string) => (out += s) }, 60_000);
    view.update(p('uploading', 0));
    view.update(p('uploading', 1024));
    view.update(p('uploading', 2048));
    view.update(p('uploading', 2048));
    expect(out).toBe(
      'uploading 0% 0 B / 2.0 KiB  1.0 KiB/s  ETA 2s\nuploading 100% 2.0 KiB / 2.0 KiB  1.0 KiB/s  ETA 0s\n',
    );
  });
});
