import { Conflict, DomainError, NotFound } from '../common/errors.js';
import type { ArtifactStatus } from './artifact.entity.js';

export class ArtifactNotFound extends NotFound {
  constructor(id: string) {
    super('Artifact', id);
  }
}

/** The artifact is not in the state the operation needs (e.g. completing an uploaded artifact). */
export class ArtifactStatusConflict extends Conflict {
  constructor(status: ArtifactStatus, needed: string) {
    super('artifact_status_conflict', `The artifact is ${status}; this needs ${needed}`, {
      status,
    });
  }
}

export class ArtifactTooLarge extends DomainError {
  constructor(size: number, max: number) {
    super(
      413,
      'artifact_too_large',
      `The artifact is ${size} bytes; this orbit accepts at most ${max}`,
      { size, max },
    );
  }
}

/** The stored bytes differ from the declared size or sha256; the artifact is now `upload_failed`. */
export class UploadVerificationFailed extends DomainError {
  constructor(message: string, details: Record<string, unknown>) {
    super(422, 'upload_verification_failed', message, details);
  }
}

/** Something (a deployment, a track entry) still uses the artifact. */
export class ArtifactInUse extends Conflict {
  constructor(dependents: string[]) {
    super('artifact_in_use', `The artifact is in use: ${dependents.join('; ')}`, { dependents });
  }
}

export class UploadNotMultipart extends Conflict {
  constructor() {
    super('upload_not_multipart', 'This artifact uploads in a single request; it has no parts');
  }
}
