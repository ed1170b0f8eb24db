import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Query,
  type PipeTransform,
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
import { ValidationFailed } from '../common/errors.js';
import { PageQueryDto } from '../common/pagination.js';
import {
  CompareResponseDto,
  ModelCardResponseDto,
  ModelCardUpdateDto,
} from '../lineage/dto/lineage.dto.js';
import {
  ALIAS,
  ALIAS_MSG,
  AliasEventPageDto,
  AliasEventQueryDto,
  AliasMoveDto,
  AliasRuleResponseDto,
  AliasRuleUpsertDto,
  TrackAliasResponseDto,
  TrackCompareQueryDto,
  TrackCreateDto,
  TrackPageDto,
  TrackQueryDto,
  TrackResponseDto,
  TrackUpdateDto,
  TrackVersionCreateDto,
  TrackVersionPageDto,
  TrackVersionResponseDto,
} from './dto/track.dto.js';
import { TrackAliasesService } from './track-aliases.service.js';
import { TracksService } from './tracks.service.js';

const uuid = new ParseUUIDPipe();

/** `:alias` path parameters: 400 naming the field when the name is not a valid alias. */
class AliasPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !ALIAS.test(value))
      throw new ValidationFailed(`Invalid request: alias: ${ALIAS_MSG}`, [
        { field: 'alias', problems: [ALIAS_MSG] },
      ]);
    return value;
  }
}
const alias = new AliasPipe();
const int = new ParseIntPipe();

@ApiTags('tracks')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/tracks')
export class TracksController {
  constructor(
    private readonly tracks: TracksService,
    private readonly aliases: TrackAliasesService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: TrackResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: TrackCreateDto,
  ): Promise<TrackResponseDto> {
    return this.tracks.create(ctx, org, orbit, dto);
  }

  @Get()
  @ApiOkResponse({ type: TrackPageDto })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: TrackQueryDto,
  ): Promise<TrackPageDto> {
    return this.tracks.list(ctx, org, orbit, q);
  }

  @Get(':track')
  @ApiOkResponse({ type: TrackResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
  ): Promise<TrackResponseDto> {
    return this.tracks.get(ctx, org, orbit, track);
  }

  @Patch(':track')
  @ApiOkResponse({ type: TrackResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Body() dto: TrackUpdateDto,
  ): Promise<TrackResponseDto> {
    return this.tracks.update(ctx, org, orbit, track, dto);
  }

  @Delete(':track')
  @HttpCode(204)
  @ApiNoContentResponse({ description: '409 `track_deployed` while a version is deployed.' })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
  ): Promise<void> {
    return this.tracks.delete(ctx, org, orbit, track);
  }

  @Post(':track/versions')
  @ApiCreatedResponse({ type: TrackVersionResponseDto })
  addVersion(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Body() dto: TrackVersionCreateDto,
  ): Promise<TrackVersionResponseDto> {
    return this.tracks.addVersion(ctx, org, orbit, track, dto);
  }

  @Get(':track/versions')
  @ApiOkResponse({ type: TrackVersionPageDto, description: 'Newest first.' })
  versions(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Query() q: PageQueryDto,
  ): Promise<TrackVersionPageDto> {
    return this.tracks.listVersions(ctx, org, orbit, track, q);
  }

  @Get(':track/versions/:version')
  @ApiOkResponse({ type: TrackVersionResponseDto })
  version(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Param('version', int) version: number,
  ): Promise<TrackVersionResponseDto> {
    return this.tracks.getVersion(ctx, org, orbit, track, version);
  }

  @Get(':track/compare')
  @ApiOkResponse({ type: CompareResponseDto })
  compare(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Query() q: TrackCompareQueryDto,
  ): Promise<CompareResponseDto> {
    return this.tracks.compare(ctx, org, orbit, track, q.versions);
  }

  @Get(':track/card')
  @ApiOkResponse({ type: ModelCardResponseDto })
  card(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
  ): Promise<ModelCardResponseDto> {
    return this.tracks.getCard(ctx, org, orbit, track);
  }

  @Put(':track/card')
  @ApiOkResponse({ type: ModelCardResponseDto })
  putCard(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Body() dto: ModelCardUpdateDto,
  ): Promise<ModelCardResponseDto> {
    return this.tracks.putCard(ctx, org, orbit, track, dto.markdown);
  }

  @Get(':track/aliases')
  @ApiOkResponse({ type: [TrackAliasResponseDto] })
  listAliases(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
  ): Promise<TrackAliasResponseDto[]> {
    return this.aliases.list(ctx, org, orbit, track);
  }

  @Put(':track/aliases/:alias')
  @ApiOkResponse({
    type: TrackAliasResponseDto,
    description:
      '403/409 `alias_rule_refused` (details.rule names the rule) or 409 `alias_changed`; refusals are recorded in the history.',
  })
  moveAlias(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Param('alias', alias) name: string,
    @Body() dto: AliasMoveDto,
  ): Promise<TrackAliasResponseDto> {
    return this.aliases.move(ctx, org, orbit, track, name, dto);
  }

  @Delete(':track/aliases/:alias')
  @HttpCode(204)
  @ApiNoContentResponse()
  removeAlias(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Param('alias', alias) name: string,
  ): Promise<void> {
    return this.aliases.remove(ctx, org, orbit, track, name);
  }

  @Get(':track/alias-history')
  @ApiOkResponse({
    type: AliasEventPageDto,
    description: 'Every move, refusal and removal, newest first.',
  })
  history(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Query() q: AliasEventQueryDto,
  ): Promise<AliasEventPageDto> {
    return this.aliases.history(ctx, org, orbit, track, q);
  }

  @Get(':track/alias-rules')
  @ApiOkResponse({ type: [AliasRuleResponseDto] })
  rules(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
  ): Promise<AliasRuleResponseDto[]> {
    return this.aliases.listRules(ctx, org, orbit, track);
  }

  @Put(':track/alias-rules/:alias')
  @ApiOkResponse({ type: AliasRuleResponseDto })
  putRule(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Param('alias', alias) name: string,
    @Body() dto: AliasRuleUpsertDto,
  ): Promise<AliasRuleResponseDto> {
    return this.aliases.putRule(ctx, org, orbit, track, name, dto);
  }

  @Delete(':track/alias-rules/:alias')
  @HttpCode(204)
  @ApiNoContentResponse()
  deleteRule(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('track', uuid) track: string,
    @Param('alias', alias) name: string,
  ): Promise<void> {
    return this.aliases.deleteRule(ctx, org, orbit, track, name);
  }
}
