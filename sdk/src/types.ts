/**
 * Wire types of the Apogee API. Timestamps are ISO 8601 strings; sizes are bytes.
 *
 * Types of routes in the backend's committed `sdk/openapi.json` are derived from
 * `src/generated/openapi.ts` (`npm run generate -w sdk` regenerates it). The rest (collections,
 * artifacts and the transfer protocol, secrets) are written by hand from docs/artifact-transfer.md
 * until those routes appear in the spec.
 */
import type { components, operations } from './generated/openapi.js';

/** Parameters every list method accepts. */
export interface PageParams {
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** Page size, 1–200. Server default 50. */
  limit?: number;
}

// ----- users, auth, organizations, orbits: derived from the backend's OpenAPI -----

type Schemas = components['schemas'];

/** A user account. */
export type User = Schemas['UserResponseDto'];

/**
 * What signing in, signing up and refreshing answer. Pass `accessToken` as `apiKey` (it is sent
 * as `Authorization: Bearer`); trade `refreshToken` for a new session with `client.auth.refresh()`.
 */
export type Session = Schemas['SessionResponseDto'];

export type SignupParams = Schemas['SignupDto'];
export type SigninParams = Schemas['SigninDto'];
export type UserUpdateParams = Schemas['UserUpdateDto'];
export type PasswordChangeParams = Schemas['PasswordChangeDto'];

/** An API key as listed: the secret itself is never shown again after creation. */
export type ApiKey = Schemas['ApiKeyResponseDto'];
/** A freshly created API key; `key` (`apg_…`) is shown only in this response. */
export type ApiKeyCreated = Schemas['ApiKeyCreatedDto'];
export type ApiKeyCreateParams = Schemas['ApiKeyCreateDto'];

export type OrganizationRole = Schemas['OrganizationResponseDto']['role'];

/** An organization, with the caller's role and permissions in it. */
export type Organization = Schemas['OrganizationResponseDto'];
export type OrganizationCreateParams = Schemas['OrganizationCreateDto'];
export type OrganizationUpdateParams = Schemas['OrganizationUpdateDto'];

/** A member of an organization. */
export type OrganizationMember = Schemas['MemberResponseDto'];
export type OrganizationMemberUpdateParams = Schemas['MemberUpdateDto'];

/** An invitation to join an organization. */
export type Invitation = Schemas['InvitationResponseDto'];
export type InvitationCreateParams = Schemas['InvitationCreateDto'];

export type OrbitRole = Schemas['OrbitMemberResponseDto']['role'];

/** An orbit (workspace), with the caller's role and permissions in it. */
export type Orbit = Schemas['OrbitResponseDto'];
export type OrbitCreateParams = Schemas['OrbitCreateDto'];
export type OrbitUpdateParams = Schemas['OrbitUpdateDto'];

/** A member of an orbit. */
export type OrbitMember = Schemas['OrbitMemberResponseDto'];
export type OrbitMemberAddParams = Schemas['OrbitMemberCreateDto'];
export type OrbitMemberUpdateParams = Schemas['OrbitMemberUpdateDto'];

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
  /** Artifacts in the collection, whatever their status. */
  artifactsCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface CollectionCreateParams {
  name: string;
  type: CollectionType;
  description?: string;
  tags?: string[];
}

/** `type` can change only while no artifact of another type is in the collection. */
export type CollectionUpdateParams = Partial<CollectionCreateParams>;

export interface CollectionListParams extends PageParams {
  /** Case-insensitive match on name and description. */
  search?: string;
  type?: CollectionType;
  /** Default `created_at`. */
  sort?: 'created_at' | 'updated_at' | 'name' | (string & {});
  order?: 'asc' | 'desc';
}

// ----- artifacts -----

export type ArtifactType = 'model' | 'dataset' | 'experiment';
export type ArtifactFormat = 'onnx' | 'gguf' | 'safetensors' | 'hf-dir' | 'luml' | 'fnnx' | 'other';
export type ArtifactStatus = 'pending_upload' | 'uploaded' | 'upload_failed' | 'pending_deletion';

/**
 * Numbers (accuracy, loss, …) recorded with an artifact; sortable by key. At most 200 keys
 * matching `^[A-Za-z0-9_.\-/]{1,100}$`, finite numbers only.
 */
export type Metrics = Record<string, number>;

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
  format?: ArtifactFormat | string;
  /** Only artifacts carrying all these tags (sent as repeated `tag=`). */
  tag?: string | string[];
  /** Case-insensitive match on name, description and file name. */
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
  organizationId: string;
  orbitId: string;
  name: string;
  description: string;
  tags: string[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretCreateParams {
  name: string;
  value: string;
  description?: string;
  tags?: string[];
}

export type SecretUpdateParams = Partial<Omit<SecretCreateParams, 'name'>>;

export interface SecretValue {
  id: string;
  name: string;
  /** The secret value (UTF-8, at most 64 KiB). */
  value: string;
}

// ----- audit -----

export type AuditActorType = AuditEvent['actorType'];

/** One entry of an organization's audit log. */
export type AuditEvent = Schemas['AuditEventResponseDto'];

/** Filters of `client.auditEvents.list()`. */
export type AuditEventListParams = NonNullable<operations['Audit_list']['parameters']['query']>;
