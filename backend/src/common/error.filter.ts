import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ensureError } from './errors.js';

/** Body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  details?: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** Maps every thrown value to `{code, message, requestId}`; unknown errors become a logged 500. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = String(req.id ?? '');
    const { status, body } = this.toBody(exception, requestId);
    if (status >= 500) {
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
    if (exception instanceof DomainError && status === 429) {
      const retry = (exception.details as { retryAfterSec?: number })?.retryAfterSec;
      if (retry) res.setHeader('Retry-After', String(retry));
    }
    res.status(status).json(body);
  }

  private toBody(exception: unknown, requestId: string): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      const body: ErrorBody = { code: exception.code, message: exception.message, requestId };
      if (exception.details !== undefined) body.details = exception.details;
      return { status: exception.status, body };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const resp = exception.getResponse();
      let message = exception.message;
      if (typeof resp === 'object' && resp && 'message' in resp) {
        const m = (resp as { message: unknown }).message;
        message = Array.isArray(m) ? m.join('; ') : String(m);
      }
      return {
        status,
        body: {
          code: HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'),
          message,
          requestId,
        },
      };
    }
    // body-parser errors carry a status/type (malformed JSON, entity too large)
    const e = exception as { status?: number; type?: string; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      const message =
        e.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : (e.message ?? 'Bad request');
      return {
        status: e.status,
        body: { code: HTTP_CODES[e.status] ?? 'bad_request', message, requestId },
      };
    }
    return {
      status: 500,
      body: { code: 'internal_error', message: 'Internal server error', requestId },
    };
  }
}
