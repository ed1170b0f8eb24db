import { Injectable, Logger } from '@nestjs/common';
import { ensureError } from '../common/errors.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { detectFormat, HEADER_BYTES, type ArtifactFormat } from './format-detect.js';
import { readGgufManifest } from './gguf-reader.js';
import { readOnnxManifest } from './onnx-reader.js';
import { RangeReader } from './range-reader.js';

export interface Inspection {
  format: ArtifactFormat;
  /** What the file itself says (inputs/outputs, architecture, …); empty when nothing was read. */
  manifest: Record<string, unknown>;
  /** Why the file could not be read, when it could not. */
  error?: string;
}

/** Reads what a stored model file declares about itself, through ranged reads of its header only. */
@Injectable()
export class ManifestService {
  private readonly logger = new Logger('ManifestService');

  /**
   * `current` is the format chosen at create time (declared by the client or guessed from the
   * name); the header wins when it is recognisable, else `current` stays (e.g. a declared `hf-dir`).
   */
  async inspect(
    driver: StorageDriver,
    key: string,
    size: number,
    fileName: string,
    current: ArtifactFormat,
  ): Promise<Inspection> {
    const open = (start: number, end: number) => driver.read(key, { start, end });
    let format: ArtifactFormat = current;
    try {
      if (size > 0) {
        const head = await new RangeReader(open, size).bytes(Math.min(size, HEADER_BYTES));
        const detected = detectFormat(fileName, head);
        if (detected !== 'other') format = detected;
      }
      if (size === 0) return { format, manifest: {} };
      if (format === 'onnx')
        return { format, manifest: { ...(await readOnnxManifest(new RangeReader(open, size))) } };
      if (format === 'gguf')
        return { format, manifest: { ...(await readGgufManifest(new RangeReader(open, size))) } };
      return { format, manifest: {} };
    } catch (e) {
      const err = ensureError(e);
      this.logger.warn(`Could not read the ${format} header of ${key}: ${err.message}`);
      return { format, manifest: {}, error: err.message };
    }
  }
}
