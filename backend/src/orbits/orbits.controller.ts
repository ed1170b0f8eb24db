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
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import {
  OrbitCreateDto,
  OrbitMemberCreateDto,
  OrbitMemberResponseDto,
  OrbitMemberUpdateDto,
  OrbitResponseDto,
  OrbitUpdateDto,
} from './dto/orbit.dto.js';
import { OrbitsService } from './orbits.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('orbits')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits')
export class OrbitsController {
  constructor(private readonly orbits: OrbitsService) {}

  @Get()
  @ApiOkResponse({ type: [OrbitResponseDto] })
  list(@Ctx() ctx: RequestContext, @Param('org', uuid) org: string): Promise<OrbitResponseDto[]> {
    return this.orbits.list(ctx, org);
  }

  @Post()
  @ApiCreatedResponse({ type: OrbitResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: OrbitCreateDto,
  ): Promise<OrbitResponseDto> {
    return this.orbits.create(ctx, org, dto);
  }

  @Get(':orbit')
  @ApiOkResponse({ type: OrbitResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<OrbitResponseDto> {
    return this.orbits.get(ctx, org, orbit);
  }

  @Patch(':orbit')
  @ApiOkResponse({ type: OrbitResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: OrbitUpdateDto,
  ): Promise<OrbitResponseDto> {
    return this.orbits.update(ctx, org, orbit, dto);
  }

  @Delete(':orbit')
  @HttpCode(204)
  @ApiNoContentResponse()
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<void> {
    return this.orbits.delete(ctx, org, orbit);
  }

  @Get(':orbit/members')
  @ApiOkResponse({ type: [OrbitMemberResponseDto] })
  members(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<OrbitMemberResponseDto[]> {
    return this.orbits.listMembers(ctx, org, orbit);
  }

  @Post(':orbit/members')
  @ApiCreatedResponse({ type: OrbitMemberResponseDto })
  addMember(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: OrbitMemberCreateDto,
  ): Promise<OrbitMemberResponseDto> {
    return this.orbits.addMember(ctx, org, orbit, dto);
  }

  @Patch(':orbit/members/:member')
  @ApiOkResponse({ type: OrbitMemberResponseDto })
  updateMember(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('member', uuid) member: string,
    @Body() dto: OrbitMemberUpdateDto,
  ): Promise<OrbitMemberResponseDto> {
    return this.orbits.updateMember(ctx, org, orbit, member, dto);
  }

  @Delete(':orbit/members/:member')
  @HttpCode(204)
  @ApiNoContentResponse()
  removeMember(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('member', uuid) member: string,
  ): Promise<void> {
    return this.orbits.removeMember(ctx, org, orbit, member);
  }
}
