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
  Put,
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
import { PageQueryDto } from '../common/pagination.js';
import {
  WebhookCreateDto,
  WebhookCreatedResponseDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryResponseDto,
  WebhookResponseDto,
  WebhookSecretResponseDto,
  WebhookSettingsDto,
  WebhookUpdateDto,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const uuid = new ParseUUIDPipe();

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiCreatedResponse({
    type: WebhookCreatedResponseDto,
    description: 'The secret is shown only here.',
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: WebhookCreateDto,
  ): Promise<WebhookCreatedResponseDto> {
    return this.webhooks.create(ctx, org, orbit, dto);
  }

  @Get()
  @ApiOkResponse({ type: [WebhookResponseDto] })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<WebhookResponseDto[]> {
    return this.webhooks.list(ctx, org, orbit);
  }

  @Get(':webhook')
  @ApiOkResponse({ type: WebhookResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.get(ctx, org, orbit, id);
  }

  @Patch(':webhook')
  @ApiOkResponse({ type: WebhookResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
    @Body() dto: WebhookUpdateDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.update(ctx, org, orbit, id, dto);
  }

  @Delete(':webhook')
  @HttpCode(204)
  @ApiNoContentResponse()
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
  ): Promise<void> {
    return this.webhooks.delete(ctx, org, orbit, id);
  }

  @Post(':webhook/secret')
  @ApiCreatedResponse({ type: WebhookSecretResponseDto })
  rotate(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
  ): Promise<WebhookSecretResponseDto> {
    return this.webhooks.rotateSecret(ctx, org, orbit, id);
  }

  @Post(':webhook/test')
  @ApiCreatedResponse({
    type: WebhookDeliveryResponseDto,
    description: 'A queued `webhook.test` delivery.',
  })
  test(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
  ): Promise<WebhookDeliveryResponseDto> {
    return this.webhooks.sendTest(ctx, org, orbit, id);
  }

  @Get(':webhook/deliveries')
  @ApiOkResponse({
    type: WebhookDeliveryPageDto,
    description: 'Newest first, each with its attempt log.',
  })
  deliveries(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('webhook', uuid) id: string,
    @Query() q: PageQueryDto,
  ): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.listDeliveries(ctx, org, orbit, id, q);
  }
}

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/organizations/:org/webhook-settings')
export class WebhookSettingsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOkResponse({ type: WebhookSettingsDto })
  get(@Ctx() ctx: RequestContext, @Param('org', uuid) org: string): Promise<WebhookSettingsDto> {
    return this.webhooks.getSettings(ctx, org);
  }

  @Put()
  @ApiOkResponse({ type: WebhookSettingsDto })
  put(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Body() dto: WebhookSettingsDto,
  ): Promise<WebhookSettingsDto> {
    return this.webhooks.putSettings(ctx, org, dto);
  }
}
