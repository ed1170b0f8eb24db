/** Base class of every error the SDK throws on purpose. */
export class ApogeeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The body of every API error response: `{ code, message, requestId, details? }`. */
export interface APIErrorBody {
  /** Stable, machine-readable error code, e.g. `artifact_not_found`. */
  code: string;
  /** Human-readable explanation. */
  message: string;
  /** The request id the server logged this request under; quote it when reporting a problem. */
  requestId: string;
  /** Extra structured information, e.g. `{ fields: [...] }` for validation errors. */
  details?: unknown;
}

/** Response headers, lower-cased names. */
export type Headers = Record<string, string | undefined>;

/**
 * The server answered with a non-2xx status. Use `instanceof` on the subclasses
 * (`NotFoundError`, `ConflictError`, …) to branch on the status.
 */
export class APIError extends ApogeeError {
  /**
   * @param status HTTP status code.
   * @param code Stable error code from the body (`internal_error` when the body had none).
   * @param message Message from the body.
   * @param requestId Server request id (`''` when unknown).
   * @param details Structured details from the body, if any.
   * @param headers Response headers (lower-cased).
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string,
    readonly details?: unknown,
    readonly headers: Headers = {},
  ) {
    super(
      requestId
        ? `${status} ${code}: ${message} (request ${requestId})`
        : `${status} ${code}: ${message}`,
    );
    this.rawMessage = message;
  }

  /** The server's message without the status/code/request id decoration. */
  readonly rawMessage: string;

  /**
   * Builds the subclass matching `status` from a response body. Bodies that are not
   * `{code, message}` JSON (a storage server's XML, a proxy's HTML) keep their text as message.
   */
  static generate(status: number, body: unknown, headers: Headers = {}): APIError {
    const b = parseBody(body);
    const requestId = b.requestId || headers['x-request-id'] || '';
    const code = b.code || defaultCode(status);
    const message = b.message || `HTTP ${status}`;
    const Ctor = errorClassFor(status);
    return new Ctor(status, code, message, requestId, b.details, headers);
  }
}

/** 400: the request was malformed or failed validation (`details.fields` lists the bad fields). */
export class BadRequestError extends APIError {}
/** 401: missing, invalid or expired credentials. */
export class AuthenticationError extends APIError {}
/** 403: authenticated, but not allowed to do this. */
export class PermissionDeniedError extends APIError {}
/** 404: the resource does not exist, or is not visible to you. */
export class NotFoundError extends APIError {}
/** 409: the request conflicts with the current state (a duplicate name, a busy resource). */
export class ConflictError extends APIError {}
/** 422: understood but cannot be processed, e.g. `upload_verification_failed`. */
export class UnprocessableEntityError extends APIError {}
/** 429: too many requests; retried automatically, honouring `Retry-After`. */
export class RateLimitError extends APIError {}
/** 5xx: the server failed. */
export class InternalServerError extends APIError {}

/** The request never got an HTTP answer (DNS failure, refused or reset connection). */
export class APIConnectionError extends ApogeeError {
  /** The low-level error code, e.g. `ECONNREFUSED`, when known. */
  readonly errorCode: string | undefined;
  constructor(message = 'Connection error', options?: { cause?: unknown; errorCode?: string }) {
    super(message, options);
    this.errorCode = options?.errorCode;
  }
}

/** The request took longer than the `timeout` option. */
export class APITimeoutError extends APIConnectionError {
  constructor(message = 'Request timed out', options?: { cause?: unknown }) {
    super(message, { ...options, errorCode: 'ETIMEDOUT' });
  }
}

/** The request was cancelled through its `AbortSignal`. */
export class APIUserAbortError extends ApogeeError {
  constructor(message = 'Request was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A transfer finished but the bytes do not match the artifact's sha256 or size. */
export class ChecksumMismatchError extends ApogeeError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch: expected ${expected}, got ${actual}`);
  }
}

/** Narrows an unknown thrown value to an Error without losing the original. */
export function ensureError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}

function errorClassFor(status: number): typeof APIError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 422:
      return UnprocessableEntityError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? InternalServerError : APIError;
  }
}

function defaultCode(status: number): string {
  if (status >= 500) return 'internal_error';
  return (
    {
      400: 'bad_request',
      401: 'unauthenticated',
      403: 'forbidden',
      404: 'not_found',
      408: 'request_timeout',
      409: 'conflict',
      422: 'unprocessable_entity',
      429: 'too_many_requests',
    }[status] ?? 'http_error'
  );
}

function parseBody(body: unknown): Partial<APIErrorBody> {
  if (body === undefined || body === null || body === '') return {};
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof value !== 'object' || value === null) return { message: String(value).slice(0, 500) };
  const v = value as Record<string, unknown>;
  return {
    code: typeof v.code === 'string' ? v.code : undefined,
    message:
      typeof v.message === 'string'
        ? v.message
        : Array.isArray(v.message)
          ? v.message.join('; ')
          : undefined,
    requestId: typeof v.requestId === 'string' ? v.requestId : undefined,
    details: v.details,
  };
}
