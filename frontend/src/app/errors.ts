import { APIError, APIConnectionError, APIUserAbortError } from '@apogee/sdk';

/** What the dashboard shows for a failure: the API's message and request id, never a stack. */
export interface ErrorView {
  summary: string;
  detail: string;
  requestId?: string;
  code?: string;
  status?: number;
}

/** Narrows anything thrown into a user-facing description. */
export function describeError(e: unknown, summary = 'Something went wrong'): ErrorView {
  if (e instanceof APIError) {
    return {
      summary,
      detail: e.rawMessage,
      requestId: e.requestId || undefined,
      code: e.code,
      status: e.status,
    };
  }
  if (e instanceof APIUserAbortError) return { summary, detail: 'Cancelled' };
  if (e instanceof APIConnectionError) {
    return { summary, detail: 'Cannot reach the Apogee API. Check your connection and try again.' };
  }
  if (e instanceof Error) return { summary, detail: e.message };
  return { summary, detail: String(e) };
}

/** True for the SDK's abort error, which is not a failure worth a toast. */
export function isAbort(e: unknown): boolean {
  return e instanceof APIUserAbortError || (e instanceof DOMException && e.name === 'AbortError');
}
