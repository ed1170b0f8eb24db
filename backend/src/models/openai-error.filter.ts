import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ensureError } from '../common/errors.js';

/** OpenAI's error body: what the official clients parse. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string; param: string | null; request_id?: string };
}

/** OpenAI error `type` for an HTTP status. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Maps errors of the OpenAI-compatible routes to `{error: {message, type, code}}`. */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const requestId = String(req.id ?? '');
    let status = 500;
    let code = 'internal_error';
    let message = 'Internal server error';
    let param: string | null = null;
    if (exception instanceof DomainError) {
      status = exception.status;
      code = exception.code;
      message = exception.message;
      const fields = (
        exception.details as { fields?: { field: string; problems: string[] }[] } | undefined
      )?.fields;
      if (fields?.length) {
        param = fields[0]!.field;
        message = `${message}: ${fields.map((f) => `${f.field} ${f.problems.join(', ')}`).join('; ')}`;
      }
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const r = exception.getResponse();
      const m =
        typeof r === 'object' && r && 'message' in r
          ? (r as { message: unknown }).message
          : exception.message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
      code = status === 404 ? 'not_found' : status === 401 ? 'unauthenticated' : 'bad_request';
    } else {
      const e = exception as { status?: number; type?: string; message?: string };
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
        status = e.status;
        code = 'bad_request';
        message =
          e.type === 'entity.parse.failed'
            ? 'Request body is not valid JSON'
            : (e.message ?? 'Bad request');
      }
    }
    if (status >= 500 && !(exception instanceof DomainError)) {
      const err = ensureError(exception);
      this.logger.error(
        `${req.method} ${req.originalUrl} failed [${requestId}]: ${err.message}`,
        err.stack,
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: OpenAiErrorBody = {
      error: { message, type: typeOf(status), code, param, request_id: requestId },
    };
    res.status(status).json(body);
  }
}
