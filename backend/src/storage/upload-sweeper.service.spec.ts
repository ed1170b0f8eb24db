import type { ModuleRef } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import {
  ABANDONED_UPLOAD_REAPER,
  UploadSweeperService,
  type AbandonedUploadReaper,
} from './upload-sweeper.service.js';

function sweeper(reaper: AbandonedUploadReaper | null, env: Record<string, string> = {}) {
  const config = loadConfig({ APOGEE_SECRET_KEY: 'a'.repeat(64), ...env });
  const moduleRef = {
    get: (token: unknown) => {
      if (token === ABANDONED_UPLOAD_REAPER && reaper) return reaper;
      throw new Error('not found');
    },
  } as unknown as ModuleRef;
  return new UploadSweeperService(config, moduleRef);
}

describe('UploadSweeperService', () => {
  it('asks the reaper for uploads older than the expiry, batch after full batch', async () => {
    const calls: { before: Date; limit: number }[] = [];
    const results = [100, 100, 7];
    const s = sweeper(
      {
        reapAbandonedUploads: async (before, limit) => (
          calls.push({ before, limit }),
          results.shift() ?? 0
        ),
      },
      { APOGEE_UPLOAD_EXPIRY_HOURS: '6' },
    );
    const now = new Date('2026-01-02T12:00:00Z');
    expect(await s.tick(now)).toBe(207);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({ before: new Date('2026-01-02T06:00:00Z'), limit: 100 });
  });

  it('runs one sweep at a time', async () => {
    let release!: () => void;
    let n = 0;
    const s = sweeper({
      reapAbandonedUploads: () => (n++, new Promise<number>((r) => (release = () => r(1)))),
    });
    const a = s.tick();
    const b = s.tick();
    release();
    expect(await a).toBe(1);
    expect(await b).toBe(1);
    expect(n).toBe(1);
  });

  it('does nothing without a reaper, and survives a failing one', async () => {
    expect(await sweeper(null).tick()).toBe(0);
    const failing = sweeper({ reapAbandonedUploads: () => Promise.reject(new Error('db down')) });
    expect(await failing.tick()).toBe(0);
  });
});
