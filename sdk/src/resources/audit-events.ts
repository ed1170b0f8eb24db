import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { AuditEvent, AuditEventListParams } from '../types.js';
import { APIResource } from './resource.js';

/** An organization's audit log: `/v1/organizations/{org}/audit-events`, newest first. */
export class AuditEvents extends APIResource {
  /** Lists audit events, optionally filtered by orbit, actor, action, resource or time. */
  list(
    org: string,
    params: AuditEventListParams = {},
    opts?: RequestOptions,
  ): PagePromise<AuditEvent> {
    return this._client.getList(path`/v1/organizations/${org}/audit-events`, { ...params }, opts);
  }
}
