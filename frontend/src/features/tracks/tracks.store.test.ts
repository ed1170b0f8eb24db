import { ConflictError } from '@apogee/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { renderMarkdown } from './markdown';
import { describeRefusal, useTracksStore } from './tracks.store';
import { useWebhooksStore } from './webhooks.store';

const T = '/v1/organizations/o/orbits/b/tracks/t1';
const version = (n: number, aliases: string[] = []) => ({
  id: `v${n}`,
  version: n,
  aliases,
  artifact: { metrics: { acc: n / 10 } },
});

describe('tracks store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('opens a track: versions newest first, aliases, history, card and trend', async () => {
    const compare = vi.fn().mockResolvedValue({
      trend: [
        {
          key: 'acc',
          points: [
            { version: 1, value: 0.1 },
            { version: 2, value: 0.2 },
          ],
        },
      ],
    });
    fakeClient(
      {
        tracks: {
          get: vi.fn().mockResolvedValue({ id: 't1', name: 'fraud' }),
          aliases: vi.fn().mockResolvedValue([{ name: 'production', version: 1 }]),
          aliasRules: vi.fn().mockResolvedValue([]),
          card: vi.fn().mockResolvedValue({ markdown: '# Fraud' }),
          compare,
        },
      },
      {
        [`${T}/versions`]: { items: [version(1, ['production']), version(2)], nextCursor: null },
        [`${T}/alias-history`]: { items: [], nextCursor: null },
      },
    );
    const s = useTracksStore();
    await s.open('o', 'b', 't1');
    expect(s.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(s.card?.markdown).toBe('# Fraud');
    expect(s.trend[0]!.points).toHaveLength(2);
    expect(compare).toHaveBeenCalledWith('o', 'b', 't1');
  });

  it('moves an alias with the expected version, and names the refusing rule', async () => {
    const moveAlias = vi.fn().mockResolvedValue({});
    fakeClient(
      {
        tracks: {
          moveAlias,
          aliases: vi.fn().mockResolvedValue([{ name: 'production', version: 2 }]),
        },
      },
      {
        [`${T}/versions`]: { items: [], nextCursor: null },
        [`${T}/alias-history`]: { items: [], nextCursor: null },
      },
    );
    const s = useTracksStore();
    s.aliases = [{ name: 'production', version: 1 } as never];
    await s.moveAlias('o', 'b', 't1', 'production', 2, 'better');
    expect(moveAlias).toHaveBeenCalledWith('o', 'b', 't1', 'production', {
      version: 2,
      expectedVersion: 1,
      reason: 'better',
    });
    expect(s.aliases[0]!.version).toBe(2);

    const refused = new ConflictError(
      409,
      'alias_rule_refused',
      'accuracy 0.81 is below 0.9',
      'req_9',
      { rule: 'production.metrics.accuracy' },
    );
    expect(describeRefusal(refused)).toBe(
      'Refused by rule production.metrics.accuracy: accuracy 0.81 is below 0.9',
    );
    expect(describeRefusal(new Error('x'))).toBeNull();
  });

  it('renders model cards as sanitized markdown', () => {
    const html = renderMarkdown(
      '# Card\n\n<script>alert(1)</script><img src=x onerror="alert(2)">\n\n[x](javascript:alert(3)) [ok](https://a.test)\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    );
    // Structure is asserted in the browser e2e; happy-dom's DOM degrades DOMPurify, so this
    // checks what matters everywhere: nothing active survives.
    expect(html).toContain('Card');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('onerror');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });
});

describe('webhooks store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('creates with the secret held once, sends a test and lists deliveries', async () => {
    const client = fakeClient(
      {
        webhooks: {
          list: vi.fn().mockResolvedValue([]),
          create: vi.fn().mockResolvedValue({
            id: 'w1',
            name: 'ci',
            url: 'https://x',
            events: [],
            enabled: true,
            secret: 'whsec_1',
          }),
          sendTest: vi.fn().mockResolvedValue({ id: 'd2', status: 'pending' }),
        },
      },
      {
        '/v1/organizations/o/orbits/b/webhooks/w1/deliveries': {
          items: [{ id: 'd1', status: 'succeeded', lastStatusCode: 200 }],
          nextCursor: null,
        },
      },
    );
    const s = useWebhooksStore();
    await s.load('o', 'b');
    await s.create('o', 'b', { name: 'ci', url: 'https://x', events: ['model.loaded'] });
    expect(s.issued?.secret).toBe('whsec_1');
    expect(JSON.stringify(s.items)).not.toContain('whsec_1');
    await s.loadDeliveries('o', 'b', 'w1');
    await s.sendTest('o', 'b', 'w1');
    expect(s.deliveries.w1!.map((d) => d.id)).toEqual(['d2', 'd1']);
    expect(client.get).toHaveBeenCalledWith('/v1/organizations/o/orbits/b/webhooks/w1/deliveries', {
      query: { limit: 50 },
    });
  });
});
