import { Body, Controller, Get, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import {
  ArtifactCompareQueryDto,
  CompareResponseDto,
  LineageResponseDto,
  LineageUpdateDto,
  ModelCardResponseDto,
  ModelCardUpdateDto,
} from './dto/lineage.dto.js';
import { LineageService } from './lineage.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('lineage')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/artifacts')
export class LineageController {
  constructor(private readonly lineage: LineageService) {}

  @Get('compare')
  @ApiOkResponse({
    type: CompareResponseDto,
    description:
      'Metrics side by side; schema, tag, metric and file differences between consecutive artifacts.',
  })
  compare(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: ArtifactCompareQueryDto,
  ): Promise<CompareResponseDto> {
    return this.lineage.compare(ctx, org, orbit, q.ids);
  }

  @Get(':artifact/lineage')
  @ApiOkResponse({ type: LineageResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) artifact: string,
  ): Promise<LineageResponseDto> {
    return this.lineage.get(ctx, org, orbit, artifact);
  }

  @Put(':artifact/lineage')
  @ApiOkResponse({ type: LineageResponseDto })
  set(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) artifact: string,
    @Body() dto: LineageUpdateDto,
  ): Promise<LineageResponseDto> {
    return this.lineage.set(ctx, org, orbit, artifact, dto);
  }

  @Get(':artifact/card')
  @ApiOkResponse({ type: ModelCardResponseDto })
  card(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) artifact: string,
  ): Promise<ModelCardResponseDto> {
    return this.lineage.getArtifactCard(ctx, org, orbit, artifact);
  }

  @Put(':artifact/card')
  @ApiOkResponse({ type: ModelCardResponseDto })
  putCard(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) artifact: string,
    @Body() dto: ModelCardUpdateDto,
  ): Promise<ModelCardResponseDto> {
    return this.lineage.putArtifactCard(ctx, org, orbit, artifact, dto.markdown);
  }
}
