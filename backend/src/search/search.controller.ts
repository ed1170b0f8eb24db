import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import { SearchQueryDto, SearchResponseDto } from './dto/search.dto.js';
import { SearchService } from './search.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('search')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/search')
export class SearchController {
  constructor(private readonly searchService: SearchService) {}

  @Get()
  @ApiOkResponse({
    type: SearchResponseDto,
    description: 'Typed hits: track, alias, tag, metric, artifact.',
  })
  search(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: SearchQueryDto,
  ): Promise<SearchResponseDto> {
    return this.searchService.search(ctx, org, orbit, q);
  }
}
