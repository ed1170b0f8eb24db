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
  Query,
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
import { CollectionsService } from './collections.service.js';
import {
  CollectionCreateDto,
  CollectionPageDto,
  CollectionQueryDto,
  CollectionResponseDto,
  CollectionUpdateDto,
} from './dto/collection.dto.js';

const uuid = new ParseUUIDPipe();

@ApiTags('collections')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Post()
  @ApiCreatedResponse({ type: CollectionResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: CollectionCreateDto,
  ): Promise<CollectionResponseDto> {
    return this.collections.create(ctx, org, orbit, dto);
  }

  @Get()
  @ApiOkResponse({ type: CollectionPageDto })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: CollectionQueryDto,
  ): Promise<CollectionPageDto> {
    return this.collections.list(ctx, org, orbit, q);
  }

  @Get(':collection')
  @ApiOkResponse({ type: CollectionResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('collection', uuid) id: string,
  ): Promise<CollectionResponseDto> {
    return this.collections.get(ctx, org, orbit, id);
  }

  @Patch(':collection')
  @ApiOkResponse({ type: CollectionResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('collection', uuid) id: string,
    @Body() dto: CollectionUpdateDto,
  ): Promise<CollectionResponseDto> {
    return this.collections.update(ctx, org, orbit, id, dto);
  }

  @Delete(':collection')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Deleted. 409 `collection_not_empty` while it holds artifacts.',
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('collection', uuid) id: string,
  ): Promise<void> {
    return this.collections.delete(ctx, org, orbit, id);
  }
}
