import { Controller, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import { GatewayService } from './gateway.service.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';

const DESC =
  'OpenAI-compatible; routed to an active deployment of `model` in the caller’s orbit (from the API key or the `OpenAI-Project` header). `stream: true` answers Server-Sent Events, passed through unbuffered. An inactive model answers 400 `model_not_active` unless its config allows on-demand activation, in which case the request waits for it.';

/** `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` through the gateway. */
@ApiTags('openai')
@ApiBearerAuth()
@ApiHeader({
  name: 'OpenAI-Project',
  required: false,
  description: 'Orbit id, when the API key is not scoped to one.',
})
@UseFilters(OpenAiErrorFilter)
@Controller('v1')
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Post('chat/completions')
  @ApiOperation({ summary: 'Chat completion', description: DESC })
  @ApiOkResponse({ description: 'The model server’s answer (JSON or SSE).' })
  chat(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.gateway.handle(ctx, req, res, 'chat/completions');
  }

  @Post('completions')
  @ApiOperation({ summary: 'Text completion', description: DESC })
  @ApiOkResponse({ description: 'The model server’s answer (JSON or SSE).' })
  completions(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.gateway.handle(ctx, req, res, 'completions');
  }

  @Post('embeddings')
  @ApiOperation({ summary: 'Embeddings', description: DESC })
  @ApiOkResponse({ description: 'The model server’s answer.' })
  embeddings(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.gateway.handle(ctx, req, res, 'embeddings');
  }
}
