import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type { Invitation, PageParams } from '../types.js';
import { APIResource } from './resource.js';

/** Invitations addressed to the signed-in user (`/v1/users/me/invitations`). */
export class Invitations extends APIResource {
  /** Lists pending invitations to join organizations. */
  list(params: PageParams = {}, opts?: RequestOptions): PagePromise<Invitation> {
    return this._client.getList('/v1/users/me/invitations', { ...params }, opts);
  }

  /** Accepts an invitation: the user joins the organization with the invited role. */
  async accept(invitationId: string, opts?: RequestOptions): Promise<void> {
    await this._client.post(path`/v1/users/me/invitations/${invitationId}/accept`, {}, opts);
  }

  /** Declines an invitation. */
  async decline(invitationId: string, opts?: RequestOptions): Promise<void> {
    await this._client.post(path`/v1/users/me/invitations/${invitationId}/decline`, {}, opts);
  }
}
