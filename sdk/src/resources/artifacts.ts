import { ApogeeError } from '../core/errors.js';
import { isNode } from '../core/env.js';
import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { DownloadOptions, DownloadResult } from '../transfer/download-types.js';
import { blobSource, isBlob, type UploadSource } from '../transfer/source.js';
import { runUpload, type UploadOptions } from '../transfer/upload.js';
import type {
  Artifact,
  ArtifactCreateParams,
  ArtifactCreateResponse,
  ArtifactListParams,
  ArtifactUpdateParams,
  CompletedPart,
  DownloadUrl,
  PresignedPart,
  UploadState,
} from '../types.js';
import { APIResource } from './resource.js';

/**
 * Artifacts of an orbit: metadata (`…/orbits/{orbit}/artifacts`), and the transfer protocol
 * (docs/artifact-transfer.md) wrapped as {@link Artifacts.upload} and {@link Artifacts.download}.
 */
export class Artifacts extends APIResource {
  /**
   * Lists the orbit's artifacts across collections, filtered and sorted:
   * `client.artifacts.list(org, orbit, { sort: 'metrics.accuracy', order: 'desc', tag: ['prod'] })`.
   */
  list(
    org: string,
    orbit: string,
    params: ArtifactListParams = {},
    opts?: RequestOptions,
  ): PagePromise<Artifact> {
    const { tag, ...rest } = params;
    const query = { ...rest, tag: typeof tag === 'string' ? [tag] : tag };
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/artifacts`,
      query,
      opts,
    );
  }

  /** Gets one artifact. */
  get(org: string, orbit: string, artifact: string, opts?: RequestOptions): Promise<Artifact> {
    return this._client.get(this.base(org, orbit, artifact), opts);
  }

  /** Updates an artifact's name, description, tags, metrics or manifest. */
  update(
    org: string,
    orbit: string,
    artifact: string,
    params: ArtifactUpdateParams,
    opts?: RequestOptions,
  ): Promise<Artifact> {
    return this._client.patch(this.base(org, orbit, artifact), params, opts);
  }

  /** Deletes an artifact (it becomes `pending_deletion`, then its bytes are removed). */
  async delete(org: string, orbit: string, artifact: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(this.base(org, orbit, artifact), opts);
  }

  /**
   * Step 1 of the protocol: creates a `pending_upload` artifact and answers how to send its
   * bytes. Most callers want {@link Artifacts.upload}, which does every step.
   */
  create(
    org: string,
    orbit: string,
    collection: string,
    params: ArtifactCreateParams,
    opts?: RequestOptions,
  ): Promise<ArtifactCreateResponse> {
    return this._client.post(
      path`/v1/organizations/${org}/orbits/${orbit}/collections/${collection}/artifacts`,
      params,
      opts,
    );
  }

  /** Presigned URLs for multipart parts (≤ 1000 a call). */
  presignParts(
    org: string,
    orbit: string,
    artifact: string,
    partNumbers: number[],
    opts?: RequestOptions,
  ): Promise<{ parts: PresignedPart[] }> {
    // Presigning changes nothing, so it is as safe to retry as a GET.
    return this._client.post(
      `${this.base(org, orbit, artifact)}/upload/parts`,
      { partNumbers },
      { ...opts, idempotent: true },
    );
  }

  /** What storage already holds of an unfinished upload. */
  uploadState(
    org: string,
    orbit: string,
    artifact: string,
    opts?: RequestOptions,
  ): Promise<UploadState> {
    return this._client.get(`${this.base(org, orbit, artifact)}/upload`, opts);
  }

  /**
   * Finishes an upload: the API verifies size and sha256 and answers the artifact `uploaded`,
   * or throws `UnprocessableEntityError` (`upload_verification_failed`).
   * @param parts Multipart etags; omit to let the API use the parts storage lists.
   */
  async complete(
    org: string,
    orbit: string,
    artifact: string,
    parts?: CompletedPart[],
    opts?: RequestOptions,
  ): Promise<Artifact> {
    const res = await this._client.post<Artifact | { artifact: Artifact }>(
      `${this.base(org, orbit, artifact)}/complete`,
      parts ? { parts } : {},
      { ...opts, idempotent: true },
    );
    return 'artifact' in res && !('id' in res) ? res.artifact : (res as Artifact);
  }

  /** Abandons an upload: the artifact becomes `upload_failed` and a multipart upload is aborted. */
  abort(org: string, orbit: string, artifact: string, opts?: RequestOptions): Promise<Artifact> {
    return this._client.post(`${this.base(org, orbit, artifact)}/abort`, {}, opts);
  }

  /** A presigned GET URL for the artifact's bytes (HTTP Range supported). */
  downloadUrl(
    org: string,
    orbit: string,
    artifact: string,
    opts?: RequestOptions,
  ): Promise<DownloadUrl> {
    return this._client.get(`${this.base(org, orbit, artifact)}/download-url`, opts);
  }

  /**
   * Uploads a file as a new artifact of `collection`: computes its sha256 (streamed), creates the
   * artifact, sends it in one PUT or in parallel parts, and completes it. Given the same content
   * again after a failure or abort, it resumes: only missing parts are sent.
   *
   * @param source A file path (Node), a `Blob`/`File`, or an {@link UploadSource}.
   * @returns The artifact, `uploaded`.
   */
  async upload(
    org: string,
    orbit: string,
    collection: string,
    source: string | Blob | UploadSource,
    opts: UploadOptions = {},
  ): Promise<Artifact> {
    if (typeof source === 'string') {
      if (!isNode())
        throw new ApogeeError('Uploading from a file path needs Node.js; pass a Blob or File');
      const node = await import('../node/upload-support.js');
      const { source: file, store } = await node.prepareFileUpload(source, opts.resumeDir);
      return runUpload(this._client, { org, orbit, collection, source: file, store }, opts);
    }
    const src = isBlob(source) ? blobSource(source, opts.fileName) : source;
    return runUpload(this._client, { org, orbit, collection, source: src }, opts);
  }

  /**
   * Downloads an artifact into a file (Node only) with parallel Range requests, resuming a
   * previous partial download (`<dest>.part` and its range map), and verifies the sha256.
   *
   * @param dest A file path, or an existing directory to save under the artifact's file name.
   */
  async download(
    org: string,
    orbit: string,
    artifact: string,
    dest: string,
    opts: DownloadOptions = {},
  ): Promise<DownloadResult> {
    if (!isNode())
      throw new ApogeeError('Downloading to a path needs Node.js; use downloadUrl() in a browser');
    const node = await import('../node/download.js');
    return node.downloadArtifact(this._client, { org, orbit, artifact }, dest, opts);
  }

  private base(org: string, orbit: string, artifact: string): string {
    return path`/v1/organizations/${org}/orbits/${orbit}/artifacts/${artifact}`;
  }
}
