import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResumeRecord, ResumeStore } from '../transfer/upload.js';

/**
 * Resume records as small JSON files in one directory (default `~/.apogee/uploads`), one per
 * file and destination collection. Losing them only costs a re-hash: the API's list of
 * `pending_upload` artifacts is the source of truth.
 */
export class FileResumeStore implements ResumeStore {
  constructor(readonly dir: string) {}

  async load(key: string): Promise<ResumeRecord | undefined> {
    try {
      const rec = JSON.parse(await readFile(this.file(key), 'utf8')) as ResumeRecord;
      return typeof rec.sha256 === 'string' && typeof rec.size === 'number' ? rec : undefined;
    } catch {
      // A missing or corrupt record is the same as none.
      return undefined;
    }
  }

  async save(key: string, record: ResumeRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(key)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, ...record }), { mode: 0o600 });
    await rename(tmp, this.file(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
  }
}
