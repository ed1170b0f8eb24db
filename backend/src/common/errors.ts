/** A field-level validation problem, returned in `details` of a 400. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/**
 * Every error a feature throws on purpose. `code` is stable and machine-readable; the global
 * filter maps `status` to the HTTP status and never leaks anything else.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super(400, 'validation_failed', message, fields.length ? { fields } : undefined);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthenticated', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}

export class NotFound extends DomainError {
  constructor(resource: string, id?: string) {
    super(
      404,
      `${resource.replace(/\s+/g, '_').toLowerCase()}_not_found`,
      id ? `${resource} ${id} not found` : `${resource} not found`,
    );
  }
}

export class Conflict extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}

export class TooManyRequests extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(429, 'too_many_requests', message, { retryAfterSec });
  }
}

export class PayloadTooLarge extends DomainError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

export class ServiceUnavailable extends DomainError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}

/** Narrows an unknown thrown value to an Error without losing the original. */
export function ensureError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}

/** True when a database error is a unique-constraint violation (PostgreSQL 23505). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err?.code === '23505' || err?.driverError?.code === '23505';
}
