import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx, CurrentSatellite, SatelliteOnly } from '../common/auth/decorators.js';
import type { RequestContext, SatellitePrincipal } from '../common/auth/principal.js';
import {
  ModelFileCreateDto,
  ModelLoadCompleteFileDto,
  ModelLoadFileResponseDto,
  ModelLoadPartsDto,
  ModelLoadSpecDto,
} from './dto/model.dto.js';
import { ModelsService } from './models.service.js';

const uuid = new ParseUUIDPipe();

/**
 * The loader's side of a `load_model` task it holds: what to fetch, and the artifact upload
 * protocol for each file (the loader is a client of the API; bytes go to the orbit's storage).
 */
@ApiTags('satellite-protocol')
@ApiBearerAuth()
@SatelliteOnly()
@Controller('satellites/v1/model-loads/:task')
export class ModelLoadsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOkResponse({ type: ModelLoadSpecDto })
  spec(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('task', uuid) task: string,
  ): Promise<ModelLoadSpecDto> {
    return this.models.loadSpec(ctx, sat, task);
  }

  @Post('files')
  @HttpCode(200)
  @ApiOkResponse({
    type: ModelLoadFileResponseDto,
    description:
      '`done` when the file is already stored (resumed load); else the upload plan of its artifact.',
  })
  file(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('task', uuid) task: string,
    @Body() dto: ModelFileCreateDto,
  ): Promise<ModelLoadFileResponseDto> {
    return this.models.loadFile(sat, task, dto, ctx.requestId);
  }

  @Post('files/:artifact/parts')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Signed part URLs (multipart uploads).' })
  parts(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('task', uuid) task: string,
    @Param('artifact', uuid) artifact: string,
    @Body() dto: ModelLoadPartsDto,
  ) {
    return this.models.loadFileParts(sat, task, artifact, dto.partNumbers, ctx.requestId);
  }

  @Post('files/:artifact/complete')
  @HttpCode(200)
  @ApiOkResponse({
    type: ModelLoadFileResponseDto,
    description: 'Verifies size and sha256 of the stored file.',
  })
  complete(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('task', uuid) task: string,
    @Param('artifact', uuid) artifact: string,
    @Body() dto: ModelLoadCompleteFileDto,
  ): Promise<ModelLoadFileResponseDto> {
    return this.models.loadFileComplete(sat, task, artifact, dto.parts, ctx.requestId);
  }
}
