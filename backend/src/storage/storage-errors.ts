import { DomainError } from '../common/errors.js';

/** Every error a storage driver throws on purpose; `code` is stable across local, S3 and Azure. */
export class StorageError extends DomainError {}

/** The object (or upload) the request names does not exist in the store. */
export class StorageObjectNotFound extends StorageError {
  constructor(key: string) {
    super(404, 'storage_object_not_found', `Stored object ${key} not found`);
  }
}

/** A multipart upload id the store does not know (finished, aborted, or never started). */
export class StorageUploadNotFound extends StorageError {
  constructor(uploadId: string) {
    super(404, 'upload_not_found', `Multipart upload ${uploadId} not found`);
  }
}

/** The parts sent to complete a multipart upload do not match what the store holds. */
export class StoragePartsInvalid extends StorageError {
  constructor(message: string) {
    super(400, 'upload_parts_invalid', message);
  }
}

/** The store did not answer (network, DNS, timeout, disk unavailable). */
export class StorageUnreachable extends StorageError {
  constructor(message: string) {
    super(503, 'storage_unreachable', message);
  }
}

/** The store answered but refused the credentials or the bucket. */
export class StorageAccessDenied extends StorageError {
  constructor(message: string) {
    super(502, 'storage_access_denied', message);
  }
}

/** A storage backend kind without a driver in this build. */
export class StorageKindUnsupported extends StorageError {
  constructor(kind: string) {
    super(
      501,
      'storage_kind_unsupported',
      `Storage backends of kind "${kind}" are not supported by this server yet`,
    );
  }
}

/** A local-storage signed URL whose token is malformed, tampered with, or for another operation. */
export class SignedUrlInvalid extends StorageError {
  constructor(message = 'The signed URL is not valid') {
    super(403, 'signed_url_invalid', message);
  }
}

export class SignedUrlExpired extends StorageError {
  constructor() {
    super(403, 'signed_url_expired', 'The signed URL has expired; ask the API for a new one');
  }
}

/** An uploaded body whose length differs from the size the URL was signed for. */
export class UploadSizeMismatch extends StorageError {
  constructor(expected: number, got: number) {
    super(
      got > expected ? 413 : 400,
      'upload_size_mismatch',
      `Expected exactly ${expected} bytes, received ${got > expected ? 'more' : got}`,
    );
  }
}

export class RangeNotSatisfiable extends StorageError {
  constructor(size: number) {
    super(416, 'range_not_satisfiable', `The requested range is outside the object (size ${size})`);
  }
}
