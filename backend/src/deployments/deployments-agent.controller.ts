import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx, CurrentSatellite, SatelliteOnly } from '../common/auth/decorators.js';
import type { RequestContext, SatellitePrincipal } from '../common/auth/principal.js';
import { TokenResolvers } from '../common/auth/token-resolvers.js';
import {
  DeploymentArtifactUrlDto,
  DeploymentReportDto,
  DeploymentSecretsDto,
  DeploymentSpecDto,
  SatelliteAuthorizeDto,
  SatelliteAuthorizeResponseDto,
  SatelliteHeartbeatDto,
  SatelliteHeartbeatResponseDto,
  WantedDeploymentDto,
} from './dto/deployment.dto.js';
import { DeploymentsService } from './deployments.service.js';

const uuid = new ParseUUIDPipe();
/** How long a satellite may cache an authorization answer, s: a revoked key stops working within it. */
export const AUTHORIZE_TTL_SEC = 10;

/** What the agent reads and reports about the deployments placed on it. Only its own are visible. */
@ApiTags('satellite-protocol')
@ApiBearerAuth()
@SatelliteOnly()
@Controller('satellites/v1')
export class DeploymentsAgentController {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly resolvers: TokenResolvers,
  ) {}

  @Post('heartbeat')
  @HttpCode(200)
  @ApiOkResponse({
    type: SatelliteHeartbeatResponseDto,
    description: 'Every deployment placed on the satellite, and whether it should run.',
  })
  heartbeat(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Body() dto: SatelliteHeartbeatDto,
  ): Promise<SatelliteHeartbeatResponseDto> {
    return this.deployments.heartbeat(sat, dto);
  }

  @Get('deployments')
  @ApiOkResponse({ type: [WantedDeploymentDto] })
  placed(@CurrentSatellite() sat: SatellitePrincipal): Promise<WantedDeploymentDto[]> {
    return this.deployments.placedOn(sat);
  }

  @Get('deployments/:id')
  @ApiOkResponse({ type: DeploymentSpecDto })
  spec(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentSpecDto> {
    return this.deployments.spec(ctx, sat, id);
  }

  @Get('deployments/:id/artifact-url')
  @ApiOkResponse({
    type: DeploymentArtifactUrlDto,
    description: 'A signed download URL of the deployment’s artifact, with its sha256 and size.',
  })
  artifactUrl(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentArtifactUrlDto> {
    return this.deployments.artifactUrl(ctx, sat, id);
  }

  @Get('deployments/:id/secrets')
  @ApiOkResponse({
    type: DeploymentSecretsDto,
    description: 'The deployment’s secret environment, decrypted (audited).',
  })
  secrets(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
  ): Promise<DeploymentSecretsDto> {
    return this.deployments.resolveSecrets(ctx, sat, id);
  }

  @Post('deployments/:id/report')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Records a phase (downloaded, started, healthy), the runtime, or log lines.',
  })
  report(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
    @Body() dto: DeploymentReportDto,
  ): Promise<void> {
    return this.deployments.report(sat, id, dto);
  }

  @Post('authorize')
  @HttpCode(200)
  @ApiOkResponse({
    type: SatelliteAuthorizeResponseDto,
    description: `May this token call the deployment directly? Cache the answer for ttlSec (${AUTHORIZE_TTL_SEC} s).`,
  })
  async authorize(
    @Ctx() ctx: RequestContext,
    @CurrentSatellite() sat: SatellitePrincipal,
    @Body() dto: SatelliteAuthorizeDto,
  ): Promise<SatelliteAuthorizeResponseDto> {
    const principal = await this.resolvers.resolve(dto.token).catch(() => null);
    const caller: RequestContext | null = principal
      ? { principal, requestId: ctx.requestId, ip: ctx.ip }
      : null;
    const r = await this.deployments.authorize(sat, caller, dto.deploymentId);
    return { ...r, ttlSec: AUTHORIZE_TTL_SEC };
  }
}
