import type { TransferProgress } from '../core/progress.js';
import { formatBytes, formatDuration } from './format.js';

/** Where the CLI writes; `isTTY` and `columns` decide between a bar and plain lines. */
export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Renders transfer progress: a redrawn bar (bytes, speed, ETA) on a terminal, or a plain line
 * at most every `plainIntervalMs` and at each phase change otherwise (logs, CI).
 */
export class ProgressView {
  private lastPhase?: string;
  private lastLine = 0;
  private drawn = false;
  private lastDone = false;

  constructor(
    private readonly out: OutStream,
    private readonly plainIntervalMs = 1000,
  ) {}

  /** Takes one progress report. */
  update(p: TransferProgress): void {
    const pct = p.totalBytes > 0 ? Math.floor((p.loadedBytes / p.totalBytes) * 100) : 100;
    const numbers = `${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}  ${formatBytes(Math.round(p.bytesPerSecond))}/s  ETA ${formatDuration(p.etaSeconds)}`;
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 60));
      const fill = Math.round((pct / 100) * width);
      const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
      const phaseChanged = this.lastPhase !== undefined && this.lastPhase !== p.phase;
      if (phaseChanged && this.drawn) this.out.write('\n');
      this.out.write(
        `\r${p.phase.padEnd(11)} ${bar} ${String(pct).padStart(3)}%  ${numbers}\x1b[K`,
      );
      this.drawn = true;
      this.lastPhase = p.phase;
      return;
    }
    const now = Date.now();
    const done = p.loadedBytes >= p.totalBytes;
    if (this.lastPhase === p.phase && !done && now - this.lastLine < this.plainIntervalMs) return;
    if (this.lastPhase === p.phase && done && this.lastDone) return;
    this.lastDone = done;
    this.lastPhase = p.phase;
    this.lastLine = now;
    this.out.write(`${p.phase} ${pct}% ${numbers}\n`);
  }

  /** Ends the bar's line on a terminal. */
  end(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
