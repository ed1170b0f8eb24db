import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import {
  DeploymentCreateDto,
  DeploymentDeleteQueryDto,
  DeploymentLogsDto,
  DeploymentLogsQueryDto,
  DeploymentResponseDto,
} from './dto/deployment.dto.js';
import { DeploymentsService } from './deployments.service.js';
import { InferenceProxy } from './inference-proxy.service.js';
import { InferenceRouteCache } from './inference-route-cache.js';
import { bearerToken } from '../common/auth/auth.guard.js';

const uuid = new ParseUUIDPipe();

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/deployments')
export class DeploymentsController {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly proxy: InferenceProxy,
    private readonly routes: InferenceRouteCache,
  ) {}

  @Get()
  @ApiOkResponse({ type: [DeploymentResponseDto] })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
  ): Promise<DeploymentResponseDto[]> {
    return this.deployments.list(ctx, org, orbit);
  }

  @Post()
  @ApiCreatedResponse({
    type: DeploymentResponseDto,
    description:
      'Created `pending` with its deploy task; 409 `no_satellite_available` when no satellite can take it.',
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: DeploymentCreateDto,
  ): Promise<DeploymentResponseDto> {
    return this.deployments.create(ctx, org, orbit, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: DeploymentResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentResponseDto> {
    return this.deployments.get(ctx, org, orbit, id);
  }

  @Get(':id/logs')
  @ApiOkResponse({
    type: DeploymentLogsDto,
    description: 'The last lines of the model server, as the satellite last sent them.',
  })
  logs(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
    @Query() q: DeploymentLogsQueryDto,
  ): Promise<DeploymentLogsDto> {
    return this.deployments.logs(ctx, org, orbit, id, q.lines);
  }

  @Post(':id/stop')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: DeploymentResponseDto,
    description: '`stopping`, then `stopped` once the satellite removed the model.',
  })
  stop(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentResponseDto> {
    return this.deployments.stop(ctx, org, orbit, id);
  }

  @Post(':id/redeploy')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeploymentResponseDto })
  redeploy(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentResponseDto> {
    return this.deployments.redeploy(ctx, org, orbit, id);
  }

  @Delete(':id')
  @ApiNoContentResponse({ description: 'Deleted (stopped, or `force`).' })
  @ApiAcceptedResponse({
    type: DeploymentResponseDto,
    description: 'Being stopped; removed once the satellite confirms.',
  })
  async delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
    @Query() q: DeploymentDeleteQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeploymentResponseDto | undefined> {
    const d = await this.deployments.delete(ctx, org, orbit, id, q.force ?? false);
    res.status(d ? 202 : 204);
    return d ?? undefined;
  }

  @Post(':id/predict')
  @ApiOperation({
    summary: 'Runs the model (ONNX `/predict`): the body and answer stream through unchanged.',
  })
  @ApiOkResponse({ description: 'The model server’s answer.' })
  async predict(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const base = await this.target(ctx, req, org, orbit, id);
    this.proxy.forward(req, res, base, `/predict${queryOf(req)}`);
  }

  private async target(
    ctx: RequestContext,
    req: Request,
    org: string,
    orbit: string,
    id: string,
  ): Promise<string> {
    const base = await this.deployments.inferenceTarget(ctx, org, orbit, id);
    const token = bearerToken(req);
    if (token) this.routes.set(token, org, orbit, id, base);
    return base;
  }

  @All(':id/proxy/*path')
  @ApiOperation({
    summary: 'Any path of the model server, e.g. `/v1/chat/completions` (SSE streams through).',
  })
  @ApiOkResponse({ description: 'The model server’s answer.' })
  async passThrough(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id', uuid) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const base = await this.target(ctx, req, org, orbit, id);
    const rest = /\/proxy(\/[^?]*)?/.exec(req.originalUrl)?.[1] ?? '/';
    this.proxy.forward(req, res, base, `${rest}${queryOf(req)}`);
  }
}

function queryOf(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i >= 0 ? req.originalUrl.slice(i) : '';
}
