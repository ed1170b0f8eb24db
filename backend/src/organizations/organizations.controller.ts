import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx, CurrentUser } from '../common/auth/decorators.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import {
  InvitationCreateDto,
  InvitationResponseDto,
  MemberResponseDto,
  MemberUpdateDto,
  OrganizationCreateDto,
  OrganizationResponseDto,
  OrganizationUpdateDto,
} from './dto/organization.dto.js';
import { OrganizationsService } from './organizations.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/organizations')
export class OrganizationsController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Get()
  @ApiOkResponse({
    type: [OrganizationResponseDto],
    description: "The caller's organizations with role and permissions.",
  })
  list(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
  ): Promise<OrganizationResponseDto[]> {
    return this.orgs.list(ctx, user);
  }

  @Post()
  @ApiCreatedResponse({ type: OrganizationResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Body() dto: OrganizationCreateDto,
  ): Promise<OrganizationResponseDto> {
    return this.orgs.create(ctx, user, dto);
  }

  @Get(':org')
  @ApiOkResponse({ type: OrganizationResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
  ): Promise<OrganizationResponseDto> {
    return this.orgs.get(ctx, org);
  }

  @Patch(':org')
  @ApiOkResponse({ type: OrganizationResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: OrganizationUpdateDto,
  ): Promise<OrganizationResponseDto> {
    return this.orgs.update(ctx, org, dto);
  }

  @Delete(':org')
  @HttpCode(204)
  @ApiNoContentResponse()
  delete(@Ctx() ctx: RequestContext, @Param('org', uuid) org: string): Promise<void> {
    return this.orgs.delete(ctx, org);
  }

  @Get(':org/members')
  @ApiOkResponse({ type: [MemberResponseDto] })
  members(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
  ): Promise<MemberResponseDto[]> {
    return this.orgs.listMembers(ctx, org);
  }

  @Patch(':org/members/:member')
  @ApiOkResponse({ type: MemberResponseDto })
  updateMember(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('member', uuid) member: string,
    @Body() dto: MemberUpdateDto,
  ): Promise<MemberResponseDto> {
    return this.orgs.updateMember(ctx, org, member, dto);
  }

  @Delete(':org/members/:member')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Removes a member; removing yourself leaves the organization.',
  })
  removeMember(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('member', uuid) member: string,
  ): Promise<void> {
    return this.orgs.removeMember(ctx, org, member);
  }

  @Post(':org/invitations')
  @ApiCreatedResponse({ type: InvitationResponseDto })
  invite(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: InvitationCreateDto,
  ): Promise<InvitationResponseDto> {
    return this.orgs.createInvitation(ctx, org, dto);
  }

  @Get(':org/invitations')
  @ApiOkResponse({ type: [InvitationResponseDto] })
  invitations(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
  ): Promise<InvitationResponseDto[]> {
    return this.orgs.listInvitations(ctx, org);
  }

  @Delete(':org/invitations/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  revokeInvitation(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('id', uuid) id: string,
  ): Promise<void> {
    return this.orgs.revokeInvitation(ctx, org, id);
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me/invitations')
export class MyInvitationsController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Get()
  @ApiOkResponse({ type: [InvitationResponseDto] })
  list(@CurrentUser() user: UserPrincipal): Promise<InvitationResponseDto[]> {
    return this.orgs.myInvitations(user);
  }

  @Post(':id/accept')
  @HttpCode(204)
  @ApiNoContentResponse()
  accept(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Param('id', uuid) id: string,
  ): Promise<void> {
    return this.orgs.respondToInvitation(ctx, user, id, true);
  }

  @Post(':id/decline')
  @HttpCode(204)
  @ApiNoContentResponse()
  decline(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Param('id', uuid) id: string,
  ): Promise<void> {
    return this.orgs.respondToInvitation(ctx, user, id, false);
  }
}
