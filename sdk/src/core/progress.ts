/** What a transfer is doing right now. */
export type TransferPhase = 'hashing' | 'uploading' | 'downloading' | 'verifying';

/** A progress report of an upload or download. */
export interface TransferProgress {
  /** `hashing` (reading the file for its sha256), `uploading`/`downloading`, then `verifying`. */
  phase: TransferPhase;
  /** Bytes done in this phase, including bytes a resumed transfer found already done. */
  loadedBytes: number;
  /** Bytes this phase has to process. */
  totalBytes: number;
  /** Recent throughput (over the last few seconds), in bytes per second. */
  bytesPerSecond: number;
  /** Seconds left at the current throughput; `null` while unknown. */
  etaSeconds: number | null;
}

/** Receives progress reports; called at most every `intervalMs` and at each phase's end. */
export type ProgressCallback = (progress: TransferProgress) => void;

/**
 * Tracks bytes of one phase and reports them with a speed measured over a sliding window, so
 * the ETA follows the current rate rather than the average since the start.
 */
export class ProgressTracker {
  private loaded = 0;
  private samples: { t: number; loaded: number }[] = [];
  private lastEmit = 0;

  constructor(
    private phase: TransferPhase,
    private total: number,
    private readonly callback?: ProgressCallback,
    private readonly intervalMs = 200,
    private readonly windowMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.samples.push({ t: this.now(), loaded: 0 });
  }

  /** Starts a new phase; `loaded` counts bytes already done (a resumed transfer). */
  start(phase: TransferPhase, total: number, loaded = 0): void {
    this.phase = phase;
    this.total = total;
    this.loaded = loaded;
    this.samples = [{ t: this.now(), loaded }];
    this.emit(true);
  }

  /** Adds `n` bytes (negative to take back the bytes of a failed attempt). */
  add(n: number): void {
    this.loaded = Math.max(0, this.loaded + n);
    this.emit(false);
  }

  /** Reports the end of the phase: everything done. */
  finish(): void {
    this.loaded = this.total;
    this.emit(true);
  }

  /** The current numbers. */
  snapshot(): TransferProgress {
    const t = this.now();
    this.samples.push({ t, loaded: this.loaded });
    while (this.samples.length > 2 && t - this.samples[1]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    const bytesPerSecond = dt > 0 ? Math.max(0, (this.loaded - first.loaded) / dt) : 0;
    const left = Math.max(0, this.total - this.loaded);
    const etaSeconds = left === 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : null;
    return {
      phase: this.phase,
      loadedBytes: this.loaded,
      totalBytes: this.total,
      bytesPerSecond,
      etaSeconds,
    };
  }

  private emit(force: boolean): void {
    if (!this.callback) return;
    const t = this.now();
    if (!force && t - this.lastEmit < this.intervalMs) return;
    this.lastEmit = t;
    this.callback(this.snapshot());
  }
}
