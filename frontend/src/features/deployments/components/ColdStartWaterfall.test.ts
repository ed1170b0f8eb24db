import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { formatMs, waterfall } from '../waterfall';
import ColdStartWaterfall from './ColdStartWaterfall.vue';

const phases = {
  queued: '2026-01-01T00:00:00.000Z',
  claimed: '2026-01-01T00:00:00.250Z',
  downloaded: '2026-01-01T00:00:02.250Z',
  started: '2026-01-01T00:00:03.000Z',
  healthy: '2026-01-01T00:00:05.000Z',
};

describe('cold-start waterfall', () => {
  it('turns phase timestamps into consecutive bars', () => {
    const wf = waterfall(phases);
    expect(wf.totalMs).toBe(5000);
    expect(wf.steps.map((s) => [s.phase, s.startMs, s.durationMs])).toEqual([
      ['claimed', 0, 250],
      ['downloaded', 250, 2000],
      ['started', 2250, 750],
      ['healthy', 3000, 2000],
    ]);
  });

  it('skips phases not reached (a cached download) and handles none', () => {
    const wf = waterfall({
      queued: phases.queued,
      claimed: phases.claimed,
      started: phases.started,
    });
    expect(wf.steps.map((s) => s.phase)).toEqual(['claimed', 'started']);
    expect(wf.steps[1]!.durationMs).toBe(2750);
    expect(waterfall({}).steps).toEqual([]);
    expect(formatMs(250)).toBe('250 ms');
    expect(formatMs(2000)).toBe('2.00 s');
    expect(formatMs(95_000)).toBe('1 min 35 s');
  });

  it('renders one labelled bar per phase, scaled to the total', () => {
    const w = mount(ColdStartWaterfall, { props: { phases } });
    const rows = w.findAll('[data-phase]');
    expect(rows.map((r) => r.attributes('data-phase'))).toEqual([
      'claimed',
      'downloaded',
      'started',
      'healthy',
    ]);
    expect(w.text()).toContain('Downloading the model');
    expect(w.text()).toContain('2.00 s');
    expect(w.find('[data-testid="waterfall-total"]').text()).toBe('5.00 s');
    const bar = w.find('[data-phase="downloaded"] .wf-bar').attributes('style');
    expect(bar).toContain('left: 5%');
    expect(bar).toContain('width: 40%');
  });

  it('says when nothing has been claimed yet', () => {
    const w = mount(ColdStartWaterfall, { props: { phases: { queued: phases.queued } } });
    expect(w.text()).toContain('waiting for a satellite');
  });
});
