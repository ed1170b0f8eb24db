/**
 * Wire types of the Apogee API. Timestamps are ISO 8601 strings; sizes are bytes.
 *
 * These mirror the backend's response DTOs (`XxxResponseDto`). `src/generated/openapi.ts`, when
 * present, is generated from the backend's committed `openapi.json` (`npm run generate -w sdk`);
 * the spec tests check these shapes against it.
 */

/** Parameters every list method accepts. */
export interface PageParams {
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** Page size, 1–200. Server default 50. */
  limit?: number;
}

// ----- users and auth -----

/** A user account. */
export interface User {
  id: string;
  email: string;
  fullName: string;
  isPlatformAdmin: boolean;
  createdAt: string;
}

/** What signing in, signing up and refreshing answer. */
export interface Session {
  /** Short-lived JWT access token; pass it as `apiKey` (it is sent as `Authorization: Bearer`). */
  accessToken: string;
  /** Access-token lifetime, in seconds. */
  expiresIn: number;
  /** Single-use refresh token for {@link Session} renewal through `client.auth.refresh()`. */
  refreshToken: string;
  user: User;
}

export interface SignupParams {
  email: string;
  /** 8–200 characters. */
  password: string;
  fullName?: string;
}

export interface SigninParams {
  email: string;
  password: string;
}

export interface UserUpdateParams {
  fullName?: string;
}

export interface PasswordChangeParams {
  currentPassword: string;
  /** 8–200 characters. */
  newPassword: string;
}

/** An API key as listed: the secret itself is never shown again after creation. */
export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, e.g. `apg_3kF9`. */
  prefix: string;
  organizationId: string | null;
  orbitId: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

/** A freshly created API key, with the secret. */
export interface ApiKeyCreated extends ApiKey {
  /** The key itself (`apg_…`). Shown only in this response; store it now. */
  key: string;
}

export interface ApiKeyCreateParams {
  name: string;
  /** Restrict the key to one organization. */
  organizationId?: string;
  /** Restrict the key to one orbit (implies its organization). */
  orbitId?: string;
  /** ISO 8601 expiry; omit for a key that does not expire. */
  expiresAt?: string;
}

// ----- organizations -----

export type OrganizationRole = 'owner' | 'admin' | 'member';

export interface Organization {
  id: string;
  name: string;
  description: string;
  /** The caller's role in this organization, when the server includes it. */
  role?: OrganizationRole;
  createdAt: string;
  updatedAt: string;
}

export interface OrganizationCreateParams {
  name: string;
  description?: string;
}

export interface OrganizationUpdateParams {
  name?: string;
  description?: string;
}

export interface OrganizationMember {
  id: string;
  organizationId: string;
  userId: string;
  email: string;
  fullName: string;
  role: OrganizationRole;
  createdAt: string;
}

export interface OrganizationMemberUpdateParams {
  role: OrganizationRole;
}

/** An invitation to join an organization. */
export interface Invitation {
  id: string;
  organizationId: string;
  /** Present on the invitee's own list (`client.invitations.list()`). */
  organizationName?: string;
  email: string;
  role: Exclude<OrganizationRole, 'owner'>;
  expiresAt: string;
  createdAt: string;
}

export interface InvitationCreateParams {
  email: string;
  role: Exclude<OrganizationRole, 'owner'>;
}

// ----- orbits -----

export type OrbitRole = 'admin' | 'member';

export interface Orbit {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  storageBackendId?: string;
  /** Largest artifact this orbit accepts, in bytes; `null` for no limit. */
  maxArtifactBytes?: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface OrbitCreateParams {
  name: string;
  description?: string;
  storageBackendId?: string;
  maxArtifactBytes?: number | null;
}

export type OrbitUpdateParams = Partial<OrbitCreateParams>;

export interface OrbitMember {
  id: string;
  orbitId: string;
  userId: string;
  email?: string;
  fullName?: string;
  role: OrbitRole;
  createdAt: string;
}

export interface OrbitMemberAddParams {
  userId: string;
  role: OrbitRole;
}

export interface OrbitMemberUpdateParams {
  role: OrbitRole;
}

// ----- collections -----

export type CollectionType = 'model' | 'dataset' | 'experiment' | 'mixed';

export interface Collection {
  id: string;
  organizationId: string;
  orbitId: string;
  name: string;
  description: string;
  type: CollectionType;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CollectionCreateParams {
  name: string;
  type: CollectionType;
  description?: string;
  tags?: string[];
}

export type CollectionUpdateParams = Partial<Omit<CollectionCreateParams, 'type'>>;

export interface CollectionListParams extends PageParams {
  search?: string;
  type?: CollectionType;
}

// ----- artifacts -----

export type ArtifactType = 'model' | 'dataset' | 'experiment';
export type ArtifactFormat = 'onnx' | 'gguf' | 'safetensors' | 'hf-dir' | 'luml' | 'fnnx' | 'other';
export type ArtifactStatus = 'pending_upload' | 'uploaded' | 'upload_failed' | 'pending_deletion';

/** Numbers (accuracy, loss, …) recorded with an artifact; sortable and filterable by key. */
export type Metrics = Record<string, number | string | boolean | null>;

export interface Artifact {
  id: string;
  organizationId: string;
  orbitId: string;
  collectionId: string;
  name: string;
  description: string;
  type: ArtifactType;
  format: ArtifactFormat | string;
  fileName: string;
  contentType: string;
  /** Bytes. */
  size: number;
  /** Hex sha256 of the content. */
  sha256: string;
  status: ArtifactStatus;
  statusReason?: string | null;
  manifest: Record<string, unknown>;
  metrics: Metrics;
  tags: string[];
  createdBy?: string | null;
  uploadedAt?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ArtifactCreateParams {
  name: string;
  fileName: string;
  /** Bytes. */
  size: number;
  /** Hex sha256 of the content. */
  sha256: string;
  contentType?: string;
  type?: ArtifactType;
  format?: ArtifactFormat | string;
  description?: string;
  tags?: string[];
  metrics?: Metrics;
  manifest?: Record<string, unknown>;
}

export interface ArtifactUpdateParams {
  name?: string;
  description?: string;
  tags?: string[];
  metrics?: Metrics;
  manifest?: Record<string, unknown>;
}

/** Sort keys of the orbit-wide artifact list; `metrics.<key>` sorts by a metric. */
export type ArtifactSort = 'created_at' | 'name' | 'size' | 'updated_at' | `metrics.${string}`;

export interface ArtifactListParams extends PageParams {
  collectionId?: string;
  type?: ArtifactType;
  /** Only artifacts carrying all these tags (sent as repeated `tag=`). */
  tag?: string | string[];
  /** Free-text search over names and descriptions. */
  search?: string;
  status?: ArtifactStatus;
  sort?: ArtifactSort;
  order?: 'asc' | 'desc';
}

/** How to upload the bytes of a new artifact (step 1 of the transfer protocol). */
export interface UploadInstructions {
  mode: 'single' | 'multipart';
  /** `single`: PUT the whole file here. */
  url?: string;
  /** `single`: headers to send with the PUT. */
  headers?: Record<string, string>;
  uploadId?: string;
  /** `multipart`: bytes per part (the last part is the remainder). */
  partSize?: number;
  partCount?: number;
  expiresAt: string;
}

export interface ArtifactCreateResponse {
  artifact: Artifact;
  upload: UploadInstructions;
}

/** A presigned URL for one part. */
export interface PresignedPart {
  partNumber: number;
  method: 'PUT';
  url: string;
  headers?: Record<string, string>;
  expiresAt: string;
}

/** What storage already holds of an unfinished upload. */
export interface UploadState {
  mode: 'single' | 'multipart';
  uploadId?: string | null;
  partSize?: number | null;
  partCount?: number | null;
  parts: { partNumber: number; size: number; etag: string }[];
  /** `single`: a fresh URL for the whole file, when the server offers one. */
  url?: string;
  headers?: Record<string, string>;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface DownloadUrl {
  /** Presigned GET URL; supports HTTP Range. */
  url: string;
  expiresAt: string;
  /** Bytes. */
  size: number;
  sha256: string;
  fileName: string;
}

// ----- secrets -----

export interface Secret {
  id: string;
  orbitId: string;
  name: string;
  description: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface SecretCreateParams {
  name: string;
  value: string;
  description?: string;
  tags?: string[];
}

export type SecretUpdateParams = Partial<SecretCreateParams>;

export interface SecretValue {
  id?: string;
  name?: string;
  value: string;
}

// ----- audit -----

export type AuditActorType = 'user' | 'api_key' | 'satellite' | 'system';

export interface AuditEvent {
  id: string;
  organizationId: string | null;
  orbitId: string | null;
  actorType: AuditActorType;
  actorId: string | null;
  /** Email of the user, or name of the satellite. */
  actorLabel: string;
  /** e.g. `artifact.create`. */
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  createdAt: string;
}

export interface AuditEventListParams extends PageParams {
  orbitId?: string;
  actorId?: string;
  /** Action, or a prefix like `artifact.` to match all artifact actions. */
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** ISO 8601 lower bound (inclusive). */
  since?: string;
  /** ISO 8601 upper bound (exclusive). */
  until?: string;
  actorType?: AuditActorType;
}
