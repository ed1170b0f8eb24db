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
import { Ctx, CurrentSatellite, SatelliteOnly } from '../common/auth/decorators.js';
import type { RequestContext, SatellitePrincipal } from '../common/auth/principal.js';
import {
  SatelliteCreateDto,
  SatelliteCreatedDto,
  SatellitePairDto,
  SatelliteResponseDto,
  SatelliteUpdateDto,
} from './dto/satellite.dto.js';
import { SatellitesService } from './satellites.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('satellites')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/satellites')
export class SatellitesController {
  constructor(private readonly satellites: SatellitesService) {}

  @Get()
  @ApiOkResponse({ type: [SatelliteResponseDto] })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<SatelliteResponseDto[]> {
    return this.satellites.list(ctx, org, orbit);
  }

  @Post()
  @ApiCreatedResponse({
    type: SatelliteCreatedDto,
    description: 'The `key` is shown only in this response.',
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: SatelliteCreateDto,
  ): Promise<SatelliteCreatedDto> {
    return this.satellites.create(ctx, org, orbit, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: SatelliteResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<SatelliteResponseDto> {
    return this.satellites.get(ctx, org, orbit, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SatelliteResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
    @Body() dto: SatelliteUpdateDto,
  ): Promise<SatelliteResponseDto> {
    return this.satellites.update(ctx, org, orbit, id, dto);
  }

  @Post(':id/key')
  @ApiCreatedResponse({
    type: SatelliteCreatedDto,
    description: 'A new key; the old one stops working at once.',
  })
  regenerateKey(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<SatelliteCreatedDto> {
    return this.satellites.regenerateKey(ctx, org, orbit, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: '409 `satellite_in_use` while deployments are placed on it.',
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<void> {
    return this.satellites.delete(ctx, org, orbit, id);
  }
}

/** The agent's own routes: pair and read itself. */
@ApiTags('satellite-protocol')
@ApiBearerAuth()
@SatelliteOnly()
@Controller('satellites/v1')
export class SatelliteAgentController {
  constructor(private readonly satellites: SatellitesService) {}

  @Post('pair')
  @HttpCode(200)
  @ApiOkResponse({ type: SatelliteResponseDto })
  pair(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Body() dto: SatellitePairDto,
  ): Promise<SatelliteResponseDto> {
    return this.satellites.pair(ctx, sat, dto);
  }

  @Get('me')
  @ApiOkResponse({ type: SatelliteResponseDto })
  me(@CurrentSatellite() sat: SatellitePrincipal): Promise<SatelliteResponseDto> {
    return this.satellites.self(sat);
  }
}
