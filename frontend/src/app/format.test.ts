import { describe, expect, it } from 'vitest';
import { APIError } from '@apogee/sdk';
import { describeError } from './errors';
import { formatBytes, formatDuration, formatMetric } from './format';
import { can } from './permissions';

describe('format', () => {
  it('formats bytes, durations and metrics for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
    expect(formatMetric(0.912345)).toBe('0.9123');
    expect(formatMetric(null)).toBe('—');
  });
});

describe('describeError', () => {
  it('shows the API message and request id, not the decorated error text', () => {
    const e = APIError.generate(409, {
      code: 'conflict',
      message: 'Name taken',
      requestId: 'r-42',
    });
    expect(describeError(e, 'Could not save')).toMatchObject({
      summary: 'Could not save',
      detail: 'Name taken',
      requestId: 'r-42',
      status: 409,
    });
  });
});

describe('can', () => {
  it('allows only what the permission map lists', () => {
    const perms = { artifact: ['list', 'read'], orbit_secret: ['list', 'create'] };
    expect(can(perms, 'artifact', 'read')).toBe(true);
    expect(can(perms, 'artifact', 'delete')).toBe(false);
    expect(can(perms, 'orbit_secret', 'reveal')).toBe(false);
    expect(can(null, 'artifact', 'list')).toBe(false);
  });
});
