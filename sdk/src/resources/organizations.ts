import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import type {
  Invitation,
  InvitationCreateParams,
  Organization,
  OrganizationCreateParams,
  OrganizationMember,
  OrganizationMemberUpdateParams,
  OrganizationUpdateParams,
  PageParams,
} from '../types.js';
import { APIResource } from './resource.js';

/** Organizations the caller belongs to (`/v1/organizations`). `org` is an organization id. */
export class Organizations extends APIResource {
  /** Members of an organization. */
  readonly members = new OrganizationMembers(this._client);
  /** Invitations sent by an organization. */
  readonly invitations = new OrganizationInvitations(this._client);

  /** Lists the caller's organizations. */
  list(params: PageParams = {}, opts?: RequestOptions): PagePromise<Organization> {
    return this._client.getList('/v1/organizations', { ...params }, opts);
  }

  /** Gets one organization. */
  get(org: string, opts?: RequestOptions): Promise<Organization> {
    return this._client.get(path`/v1/organizations/${org}`, opts);
  }

  /** Creates an organization; the caller becomes its owner. */
  create(params: OrganizationCreateParams, opts?: RequestOptions): Promise<Organization> {
    return this._client.post('/v1/organizations', params, opts);
  }

  /** Renames or re-describes an organization. */
  update(
    org: string,
    params: OrganizationUpdateParams,
    opts?: RequestOptions,
  ): Promise<Organization> {
    return this._client.patch(path`/v1/organizations/${org}`, params, opts);
  }

  /** Deletes an organization and everything in it. */
  async delete(org: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(path`/v1/organizations/${org}`, opts);
  }
}

/** `/v1/organizations/{org}/members`. */
export class OrganizationMembers extends APIResource {
  /** Lists the members of an organization. */
  list(
    org: string,
    params: PageParams = {},
    opts?: RequestOptions,
  ): PagePromise<OrganizationMember> {
    return this._client.getList(path`/v1/organizations/${org}/members`, { ...params }, opts);
  }

  /** Changes a member's role. */
  update(
    org: string,
    memberId: string,
    params: OrganizationMemberUpdateParams,
    opts?: RequestOptions,
  ): Promise<OrganizationMember> {
    return this._client.patch(path`/v1/organizations/${org}/members/${memberId}`, params, opts);
  }

  /** Removes a member from the organization (and its orbits). */
  async remove(org: string, memberId: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(path`/v1/organizations/${org}/members/${memberId}`, opts);
  }
}

/** `/v1/organizations/{org}/invitations`. */
export class OrganizationInvitations extends APIResource {
  /** Invites someone by email. */
  create(org: string, params: InvitationCreateParams, opts?: RequestOptions): Promise<Invitation> {
    return this._client.post(path`/v1/organizations/${org}/invitations`, params, opts);
  }

  /** Lists the organization's pending invitations. */
  list(org: string, params: PageParams = {}, opts?: RequestOptions): PagePromise<Invitation> {
    return this._client.getList(path`/v1/organizations/${org}/invitations`, { ...params }, opts);
  }

  /** Withdraws an invitation. */
  async revoke(org: string, invitationId: string, opts?: RequestOptions): Promise<void> {
    await this._client.delete(path`/v1/organizations/${org}/invitations/${invitationId}`, opts);
  }
}
