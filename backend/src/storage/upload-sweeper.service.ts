import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ensureError } from '../common/errors.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** Token under which the artifacts feature registers its {@link AbandonedUploadReaper}. */
export const ABANDONED_UPLOAD_REAPER = Symbol.for('apogee.AbandonedUploadReaper');

/**
 * What the artifacts feature provides so abandoned uploads get cleaned up
 * (`{ provide: ABANDONED_UPLOAD_REAPER, useExisting: ArtifactsService }`).
 */
export interface AbandonedUploadReaper {
  /**
   * Handles up to `limit` artifacts still `pending_upload` that were created before `before`:
   * aborts their multipart upload in storage (or deletes a partial single-PUT object), marks them
   * `upload_failed` with a reason, records an audit event as the system, and returns how many it
   * handled. Safe to run on several API instances at once (claims rows with SKIP LOCKED).
   */
  reapAbandonedUploads(before: Date, limit: number): Promise<number>;
}

/** Rows handled per batch; a tick keeps going while batches come back full. */
const BATCH = 100;

/**
 * Periodically aborts uploads that were started and never completed, so parts do not pile up in
 * the bucket (S3 bills for them) and artifacts do not sit in `pending_upload` forever.
 */
@Injectable()
export class UploadSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UploadSweeper');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private warnedMissing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.uploadSweepIntervalSec;
    if (!every) return;
    this.timer = setInterval(() => void this.tick(), every * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
  }

  /** One sweep; returns how many uploads were aborted. Never throws: failures are logged and retried next tick. */
  tick(now = new Date()): Promise<number> {
    this.running ??= this.sweep(now).finally(() => (this.running = null));
    return this.running;
  }

  private async sweep(now: Date): Promise<number> {
    const reaper = this.reaper();
    if (!reaper) return 0;
    const before = new Date(now.getTime() - this.config.uploadExpiryHours * 3600 * 1000);
    let total = 0;
    try {
      for (;;) {
        const n = await reaper.reapAbandonedUploads(before, BATCH);
        total += n;
        if (n < BATCH) break;
      }
    } catch (e) {
      const err = ensureError(e);
      this.logger.error(
        `Sweeping abandoned uploads failed after ${total}: ${err.message}`,
        err.stack,
      );
    }
    if (total)
      this.logger.log(`Aborted ${total} upload(s) pending since before ${before.toISOString()}`);
    return total;
  }

  private reaper(): AbandonedUploadReaper | null {
    try {
      return this.moduleRef.get<AbandonedUploadReaper>(ABANDONED_UPLOAD_REAPER, { strict: false });
    } catch {
      if (!this.warnedMissing)
        this.logger.warn('No abandoned-upload reaper is registered; pending uploads are not swept');
      this.warnedMissing = true;
      return null;
    }
  }
}
