/**
 * Typed errors of the satellite. Every error thrown on purpose carries a stable, machine-readable
 * `code`; HTTP-facing ones also carry the status the model server answers with.
 */
export class SatelliteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error the model server turns into an HTTP response with `status` and `{ error: { code, message } }`. */
export class HttpError extends SatelliteError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The request body or one of its fields is invalid (400). */
export class InvalidRequest extends HttpError {
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(400, 'invalid_request', message);
  }
}

/** No route for this method and path (404). */
export class RouteNotFound extends HttpError {
  constructor(method: string, path: string) {
    super(404, 'not_found', `No route for ${method} ${path}`);
  }
}

/** The request body is larger than the server accepts (413). */
export class BodyTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'body_too_large', `Request body exceeds ${limitBytes} bytes`);
  }
}

/** A configuration value (environment variable or CLI flag) is invalid; stops the start. */
export class ConfigError extends SatelliteError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('invalid_config', `${variable}: ${message}`);
  }
}

/** The model file could not be loaded by its runtime library. */
export class ModelLoadFailed extends SatelliteError {
  constructor(path: string, cause: unknown) {
    super('model_load_failed', `Could not load model ${path}: ${ensureError(cause).message}`, {
      cause,
    });
  }
}

/** A runtime could not start, find or stop a deployment. */
export class RuntimeError extends SatelliteError {}

/** No deployment with this id is known to the runtime. */
export class DeploymentNotFound extends RuntimeError {
  constructor(readonly deploymentId: string) {
    super('deployment_not_found', `Deployment ${deploymentId} is not running on this runtime`);
  }
}

/** A deployment did not answer `/healthz` in time, or exited while starting. */
export class DeploymentUnhealthy extends RuntimeError {
  constructor(
    readonly deploymentId: string,
    message: string,
    readonly lastLogLines: string[] = [],
  ) {
    super('deployment_unhealthy', message);
  }
}

/** No Docker engine answers on the configured socket. */
export class DockerUnavailable extends RuntimeError {
  constructor(cause: unknown) {
    super('docker_unavailable', `No Docker engine answers: ${ensureError(cause).message}`, {
      cause,
    });
  }
}

/** Turns whatever was thrown into an `Error`, so a `catch` can narrow it. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    // A value that cannot be serialized (cycle, BigInt) is still described.
    text = String(value);
  }
  return new Error(`Non-error thrown: ${text}`);
}

/** The `code` of a Node system error (`ENOENT`, `ESRCH`, ...), if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}
