import { join } from 'node:path';
import type { UploadSource } from '../transfer/source.js';
import type { ResumeStore } from '../transfer/upload.js';
import { fileSource } from './file-source.js';
import { apogeeHome } from './home.js';
import { FileResumeStore } from './resume-store.js';

/** The file source and resume store for an upload from a path. */
export async function prepareFileUpload(
  filePath: string,
  resumeDir: string | false | undefined,
): Promise<{ source: UploadSource; store?: ResumeStore }> {
  const source = await fileSource(filePath);
  if (resumeDir === false) return { source };
  return { source, store: new FileResumeStore(resumeDir ?? join(apogeeHome(), 'uploads')) };
}
