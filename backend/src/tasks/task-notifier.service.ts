import { EventEmitter } from 'node:events';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import { ensureError } from '../common/errors.js';
import { DATABASE_ENGINE, type DatabaseEngine } from '../database/database.module.js';

/** PostgreSQL channel that carries "a task became claimable in orbit X" across API instances. */
export const TASKS_CHANNEL = 'apogee_tasks';
const CLOSE = Symbol('close');
/** Emitted after the LISTEN client (re)connects: every waiter re-checks once. */
const RECHECK = Symbol('recheck');
const RECONNECT_MAX_MS = 10_000;

/**
 * Wakes long-polling claimers the moment a task becomes claimable.
 *
 * In-process waiters are woken through an EventEmitter keyed by orbit. Under PostgreSQL a
 * dedicated client (outside the pool, so it never holds a pooled connection) LISTENs on
 * {@link TASKS_CHANNEL}; writers `pg_notify` inside their transaction, so every API instance
 * learns of the task once it commits. PGlite is one process's embedded database with one
 * connection: LISTEN there would only echo our own writes, so the in-process emitter is all
 * it needs.
 */
@Injectable()
export class TaskNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('TaskNotifier');
  private readonly emitter = new EventEmitter();
  private listener: pg.Client | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 250;
  /** True once the app shuts down: long polls return at once so the HTTP server can close. */
  closing = false;

  constructor(@Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine) {
    this.emitter.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    if (this.engine.kind === 'postgres') await this.connect();
  }

  onModuleDestroy(): void {
    this.closing = true;
    this.emitter.emit(CLOSE);
    clearTimeout(this.reconnectTimer);
    const l = this.listener;
    this.listener = null;
    if (l)
      l.end().catch((e: unknown) =>
        this.log.warn(`closing the LISTEN client: ${ensureError(e).message}`),
      );
  }

  /** Publishes a wake-up for `orbitId` inside `m`'s transaction (delivered at commit). */
  async publish(m: EntityManager, orbitId: string): Promise<void> {
    if (this.engine.kind === 'postgres')
      await m.query('SELECT pg_notify($1, $2)', [TASKS_CHANNEL, orbitId]);
  }

  /** Wakes this instance's waiters of `orbitId` (call after the transaction committed). */
  wake(orbitId: string): void {
    this.emitter.emit(orbitId);
  }

  /** Calls `fn` on every wake-up of `orbitId` and on shutdown; returns the unsubscribe function. */
  subscribe(orbitId: string, fn: () => void): () => void {
    this.emitter.on(orbitId, fn);
    this.emitter.on(CLOSE, fn);
    this.emitter.on(RECHECK, fn);
    return () => {
      this.emitter.off(orbitId, fn);
      this.emitter.off(CLOSE, fn);
      this.emitter.off(RECHECK, fn);
    };
  }

  private async connect(): Promise<void> {
    if (this.engine.kind !== 'postgres' || this.closing) return;
    const client = new pg.Client({ connectionString: this.engine.url });
    client.on('notification', (n) => {
      if (n.channel === TASKS_CHANNEL && n.payload) this.emitter.emit(n.payload);
    });
    client.on('error', (e) => {
      this.log.warn(`LISTEN client error: ${e.message}; reconnecting`);
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${TASKS_CHANNEL}`);
      this.listener = client;
      this.reconnectDelayMs = 250;
      // Anything published while we were not listening: every orbit's waiters re-check once.
      this.emitter.emit(RECHECK);
    } catch (e) {
      this.log.warn(`LISTEN connect failed: ${ensureError(e).message}`);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.closing || this.reconnectTimer || (this.listener && this.listener !== client)) return;
    this.listener = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
