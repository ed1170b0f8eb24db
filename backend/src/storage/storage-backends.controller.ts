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
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import {
  StorageBackendCreateDto,
  StorageBackendResponseDto,
  StorageBackendTestDto,
  StorageBackendUpdateDto,
  StorageConnectionTestResponseDto,
} from './dto/storage-backend.dto.js';
import { StorageBackendsService } from './storage-backends.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('storage-backends')
@ApiBearerAuth()
@Controller('v1/organizations/:org/storage-backends')
export class StorageBackendsController {
  constructor(private readonly backends: StorageBackendsService) {}

  @Get()
  @ApiOkResponse({ type: [StorageBackendResponseDto] })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
  ): Promise<StorageBackendResponseDto[]> {
    return this.backends.list(ctx, org);
  }

  @Post()
  @ApiCreatedResponse({ type: StorageBackendResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: StorageBackendCreateDto,
  ): Promise<StorageBackendResponseDto> {
    return this.backends.create(ctx, org, dto);
  }

  @Post('test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test an unsaved configuration: list, write, read and delete a small object.',
  })
  @ApiOkResponse({ type: StorageConnectionTestResponseDto })
  testUnsaved(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: StorageBackendTestDto,
  ): Promise<StorageConnectionTestResponseDto> {
    return this.backends.testUnsaved(ctx, org, dto);
  }

  @Get(':backend')
  @ApiOkResponse({ type: StorageBackendResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('backend', uuid) backend: string,
  ): Promise<StorageBackendResponseDto> {
    return this.backends.get(ctx, org, backend);
  }

  @Patch(':backend')
  @ApiOkResponse({ type: StorageBackendResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('backend', uuid) backend: string,
    @Body() dto: StorageBackendUpdateDto,
  ): Promise<StorageBackendResponseDto> {
    return this.backends.update(ctx, org, backend, dto);
  }

  @Delete(':backend')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Deleted. 409 storage_backend_in_use while an orbit is bound to it.',
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('backend', uuid) backend: string,
  ): Promise<void> {
    return this.backends.delete(ctx, org, backend);
  }

  @Post(':backend/test')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Test a saved backend with its stored credentials: list, write, read and delete a small object.',
  })
  @ApiOkResponse({ type: StorageConnectionTestResponseDto })
  test(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('backend', uuid) backend: string,
  ): Promise<StorageConnectionTestResponseDto> {
    return this.backends.test(ctx, org, backend);
  }
}
