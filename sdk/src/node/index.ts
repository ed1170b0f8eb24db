/**
 * `@apogee/sdk/node`: Node-only helpers (files, resume records, downloads). The main entry loads
 * these on demand when given a file path, so browser bundles never include them.
 *
 * @packageDocumentation
 */
export { fileSource, hashFile } from './file-source.js';
export { FileResumeStore } from './resume-store.js';
export { downloadArtifact, DEFAULT_CHUNK_SIZE, DEFAULT_DOWNLOAD_CONCURRENCY } from './download.js';
export { apogeeHome } from './home.js';
