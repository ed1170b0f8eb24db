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
import { Ctx, UserOrSatellite } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import {
  OrbitSecretCreateDto,
  OrbitSecretResponseDto,
  OrbitSecretUpdateDto,
  OrbitSecretValueDto,
} from './dto/orbit-secret.dto.js';
import { OrbitSecretsService } from './orbit-secrets.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('secrets')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/secrets')
export class OrbitSecretsController {
  constructor(private readonly secrets: OrbitSecretsService) {}

  @Post()
  @ApiCreatedResponse({ type: OrbitSecretResponseDto })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: OrbitSecretCreateDto,
  ): Promise<OrbitSecretResponseDto> {
    return this.secrets.create(ctx, org, orbit, dto);
  }

  @Get()
  @UserOrSatellite()
  @ApiOkResponse({
    type: [OrbitSecretResponseDto],
    description: 'Metadata only; values are never listed.',
  })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<OrbitSecretResponseDto[]> {
    return this.secrets.list(ctx, org, orbit);
  }

  @Get(':secret')
  @UserOrSatellite()
  @ApiOkResponse({ type: OrbitSecretResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('secret', uuid) id: string,
  ): Promise<OrbitSecretResponseDto> {
    return this.secrets.get(ctx, org, orbit, id);
  }

  @Get(':secret/value')
  @UserOrSatellite()
  @ApiOkResponse({
    type: OrbitSecretValueDto,
    description: 'The decrypted value (permission `orbit_secret:reveal`; audited).',
  })
  reveal(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('secret', uuid) id: string,
  ): Promise<OrbitSecretValueDto> {
    return this.secrets.reveal(ctx, org, orbit, id);
  }

  @Patch(':secret')
  @ApiOkResponse({ type: OrbitSecretResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('secret', uuid) id: string,
    @Body() dto: OrbitSecretUpdateDto,
  ): Promise<OrbitSecretResponseDto> {
    return this.secrets.update(ctx, org, orbit, id, dto);
  }

  @Delete(':secret')
  @HttpCode(204)
  @ApiNoContentResponse()
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('secret', uuid) id: string,
  ): Promise<void> {
    return this.secrets.delete(ctx, org, orbit, id);
  }
}
