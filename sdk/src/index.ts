/**
 * `@apogee/sdk`: the typed client of the Apogee API, for Node and browsers.
 *
 * ```ts
 * import { Apogee, NotFoundError } from '@apogee/sdk';
 * const client = new Apogee({ apiKey: 'apg_…', baseURL: 'https://apogee.example.com' });
 * const artifact = await client.artifacts.upload(org, orbit, collection, 'model.onnx', {
 *   onProgress: (p) => console.log(p.phase, p.loadedBytes, p.totalBytes),
 * });
 * ```
 *
 * @packageDocumentation
 */
export {
  Apogee,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  type ClientOptions,
} from './client.js';
export { Apogee as default } from './client.js';
export {
  ApogeeError,
  APIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  ChecksumMismatchError,
  type APIErrorBody,
} from './core/errors.js';
export type { RequestOptions, QueryValue, SendOptions, HttpResponse } from './core/http.js';
export { Page, PagePromise, type PageResponse } from './core/pagination.js';
export {
  ProgressTracker,
  type ProgressCallback,
  type TransferPhase,
  type TransferProgress,
} from './core/progress.js';
export { blobSource, type SourceBody, type UploadSource } from './transfer/source.js';
export type { UploadOptions, ResumeRecord, ResumeStore } from './transfer/upload.js';
export type { DownloadOptions, DownloadResult } from './transfer/download-types.js';
export { APIResource } from './resources/resource.js';
export { Auth } from './resources/auth.js';
export { Users } from './resources/users.js';
export { ApiKeys } from './resources/api-keys.js';
export { Invitations } from './resources/invitations.js';
export {
  Organizations,
  OrganizationMembers,
  OrganizationInvitations,
} from './resources/organizations.js';
export { Orbits, OrbitMembers } from './resources/orbits.js';
export { Collections } from './resources/collections.js';
export { Artifacts } from './resources/artifacts.js';
export { Secrets } from './resources/secrets.js';
export { AuditEvents } from './resources/audit-events.js';
export * from './resources/tracks.js';
export * from './resources/webhooks.js';
export * from './resources/models.js';
export type * from './types.js';
export { VERSION } from './version.js';
export * from './resources/satellites.js';
export * from './resources/deployments.js';
