import type { Deployment } from '@apogee/sdk';

export const PHASES = ['queued', 'claimed', 'downloaded', 'started', 'healthy'] as const;
export type Phase = (typeof PHASES)[number];

/** What happens between a phase and the next one, named after where it ends. */
export const STEP_LABELS: Record<Exclude<Phase, 'queued'>, string> = {
  claimed: 'Waiting for a satellite',
  downloaded: 'Downloading the model',
  started: 'Starting the runtime',
  healthy: 'Loading until healthy',
};

/** One bar of the cold-start waterfall: offsets from `queued`, in milliseconds. */
export interface WaterfallStep {
  phase: Exclude<Phase, 'queued'>;
  label: string;
  startMs: number;
  endMs: number;
  durationMs: number;
}

/**
 * Bars from the phase timestamps, each from the previous phase reached to this one. Phases not
 * reached yet are skipped (a running step shows once its end arrives).
 */
export function waterfall(phases: Deployment['phases'] | null | undefined): {
  steps: WaterfallStep[];
  totalMs: number;
} {
  const t0 = phases?.queued ? Date.parse(phases.queued) : NaN;
  if (!phases || Number.isNaN(t0)) return { steps: [], totalMs: 0 };
  const steps: WaterfallStep[] = [];
  let prev = t0;
  for (const phase of PHASES.slice(1) as Exclude<Phase, 'queued'>[]) {
    const iso = phases[phase];
    if (!iso) continue;
    const at = Date.parse(iso);
    if (Number.isNaN(at)) continue;
    const start = Math.min(prev, at);
    steps.push({
      phase,
      label: STEP_LABELS[phase],
      startMs: start - t0,
      endMs: at - t0,
      durationMs: at - start,
    });
    prev = at;
  }
  return { steps, totalMs: steps.length ? steps[steps.length - 1]!.endMs : 0 };
}

/** 850 → "850 ms", 12_300 → "12.3 s", 95_000 → "1 min 35 s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
