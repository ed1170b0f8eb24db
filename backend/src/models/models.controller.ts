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
  Req,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import { ValidationFailed } from '../common/errors.js';
import {
  ModelCreateDto,
  ModelDeletedDto,
  ModelFileCreateDto,
  ModelListQueryDto,
  ModelListResponseDto,
  ModelLoadFileResponseDto,
  ModelResponseDto,
  ModelUpdateDto,
  ModelUsageQueryDto,
  ModelUsageRowDto,
} from './dto/model.dto.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';
import { OpenAiScope } from './openai-scope.js';
import { ModelsService } from './models.service.js';

const uuid = new ParseUUIDPipe();
const ACTIONS = ['activate', 'deactivate', 'retry', 'publish', 'files'] as const;
type Action = (typeof ACTIONS)[number];

/** `*id` arrives as path segments; ids may contain `/`. */
export function joinId(raw: string | string[]): string {
  const id = (Array.isArray(raw) ? raw.join('/') : raw).trim();
  if (!id)
    throw new ValidationFailed('Model id is required', [{ field: 'id', problems: ['required'] }]);
  return id;
}

/** `{id}:activate` → [id, 'activate']; the action is the text after the last `:`. */
export function splitAction(raw: string | string[]): [string, Action] {
  const full = joinId(raw);
  const i = full.lastIndexOf(':');
  const action = full.slice(i + 1) as Action;
  if (i <= 0 || !ACTIONS.includes(action)) {
    throw new ValidationFailed(`Unknown model action; POST /v1/models/{id}:${ACTIONS.join('|:')}`, [
      { field: 'action', problems: [`one of ${ACTIONS.join(', ')}`] },
    ]);
  }
  return [full.slice(0, i), action];
}

async function act(
  models: ModelsService,
  ctx: RequestContext,
  org: string,
  orbit: string,
  raw: string | string[],
  body: unknown,
): Promise<ModelResponseDto | ModelLoadFileResponseDto> {
  const [id, action] = splitAction(raw);
  switch (action) {
    case 'activate':
      return models.activate(ctx, org, orbit, id);
    case 'deactivate':
      return models.deactivate(ctx, org, orbit, id);
    case 'retry':
      return models.retry(ctx, org, orbit, id);
    case 'publish':
      return models.publish(ctx, org, orbit, id);
    case 'files': {
      const dto = plainToInstance(ModelFileCreateDto, body ?? {});
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length)
        throw new ValidationFailed(
          'Invalid file',
          errors.map((e) => ({ field: e.property, problems: Object.values(e.constraints ?? {}) })),
        );
      return models.addFile(ctx, org, orbit, id, dto);
    }
  }
}

const ACTION_DOC =
  'Actions on a model, by suffix: `{id}:activate` deploys it, `{id}:deactivate` stops it, `{id}:retry` loads a FAILED model again, `{id}:publish` publishes a fine-tuned model, `{id}:files` registers an adapter file (body `{path, size, sha256}`) and answers its artifact upload plan.';

/** Models of an orbit, for the dashboard (ids may contain `/`; they are matched as a wildcard). */
@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOkResponse({ type: ModelListResponseDto })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: ModelListQueryDto,
  ): Promise<ModelListResponseDto> {
    return this.models.list(ctx, org, orbit, q);
  }

  @Post()
  @ApiCreatedResponse({
    type: ModelResponseDto,
    description:
      'A base model starts REQUESTED with a load task; a fine-tuned one (baseModelId + suffix) waits for its files and publish.',
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Body() dto: ModelCreateDto,
  ): Promise<ModelResponseDto> {
    return this.models.create(ctx, org, orbit, dto);
  }

  @Get('*id')
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({ type: ModelResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id') id: string[],
    @Query() q: ModelListQueryDto,
  ): Promise<ModelResponseDto> {
    return this.models.get(ctx, org, orbit, joinId(id), {
      includeUnpublished: q.include_unpublished === 'true',
    });
  }

  @Patch('*id')
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({ type: ModelResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id') id: string[],
    @Body() dto: ModelUpdateDto,
  ): Promise<ModelResponseDto> {
    return this.models.updateConfig(ctx, org, orbit, joinId(id), dto.config);
  }

  @Delete('*id')
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({
    type: ModelDeletedDto,
    description: '409 `model_active` while the model is active; deletes the files it stored.',
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id') id: string[],
  ): Promise<ModelDeletedDto> {
    return this.models.delete(ctx, org, orbit, joinId(id));
  }

  @Post('*id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Model action', description: ACTION_DOC })
  @ApiParam({ name: 'id', type: String, description: '`{id}:{action}`' })
  @ApiBody({ required: false, type: ModelFileCreateDto })
  @ApiOkResponse({ type: ModelResponseDto })
  action(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('id') id: string[],
    @Body() body: unknown,
  ): Promise<ModelResponseDto | ModelLoadFileResponseDto> {
    return act(this.models, ctx, org, orbit, id, body);
  }
}

/** Gateway usage per model and API key, for organization owners and admins. */
@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/organizations/:org/model-usage')
export class ModelUsageController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOkResponse({ type: [ModelUsageRowDto] })
  usage(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Query() q: ModelUsageQueryDto,
  ): Promise<ModelUsageRowDto[]> {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
      throw new ValidationFailed('Invalid time window', [
        { field: Number.isNaN(from.getTime()) ? 'from' : 'to', problems: ['must be an ISO time'] },
      ]);
    return this.models.usage(ctx, org, from, to);
  }
}

const SCOPE_HEADERS = [
  ApiHeader({
    name: 'OpenAI-Organization',
    required: false,
    description: 'Organization id, when the API key is not scoped to one.',
  }),
  ApiHeader({
    name: 'OpenAI-Project',
    required: false,
    description: 'Orbit id, when the API key is not scoped to one.',
  }),
];

function applyAll(decorators: MethodDecorator[]): MethodDecorator {
  return (target, key, desc) => {
    for (const d of decorators) d(target, key, desc);
  };
}

/**
 * The OpenAI-style model routes: the caller's tenant and orbit come from the API key or the
 * `OpenAI-Organization` / `OpenAI-Project` headers; errors use OpenAI's shape.
 */
@ApiTags('openai')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('v1/models')
export class OpenAiModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly scope: OpenAiScope,
  ) {}

  @Get()
  @applyAll(SCOPE_HEADERS)
  @ApiOkResponse({
    type: ModelListResponseDto,
    description:
      'The OpenAI list object; loading models with `include_loading=true`; cursor `after` + `limit`.',
  })
  async list(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Query() q: ModelListQueryDto,
  ): Promise<ModelListResponseDto> {
    const s = await this.scope.resolve(ctx, req);
    return this.models.list(ctx, s.orgId, s.orbitId, { ...q, include_unpublished: 'false' });
  }

  @Post()
  @applyAll(SCOPE_HEADERS)
  @ApiCreatedResponse({ type: ModelResponseDto })
  async create(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Body() dto: ModelCreateDto,
  ): Promise<ModelResponseDto> {
    const s = await this.scope.resolve(ctx, req);
    return this.models.create(ctx, s.orgId, s.orbitId, dto);
  }

  @Get('*id')
  @applyAll(SCOPE_HEADERS)
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({ type: ModelResponseDto })
  async get(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Param('id') id: string[],
    @Query() q: ModelListQueryDto,
  ): Promise<ModelResponseDto> {
    const s = await this.scope.resolve(ctx, req);
    return this.models.get(ctx, s.orgId, s.orbitId, joinId(id), {
      includeUnpublished: q.include_unpublished === 'true',
    });
  }

  @Patch('*id')
  @applyAll(SCOPE_HEADERS)
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({ type: ModelResponseDto })
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Param('id') id: string[],
    @Body() dto: ModelUpdateDto,
  ): Promise<ModelResponseDto> {
    const s = await this.scope.resolve(ctx, req);
    return this.models.updateConfig(ctx, s.orgId, s.orbitId, joinId(id), dto.config);
  }

  @Delete('*id')
  @applyAll(SCOPE_HEADERS)
  @ApiParam({ name: 'id', type: String })
  @ApiOkResponse({ type: ModelDeletedDto })
  async delete(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Param('id') id: string[],
  ): Promise<ModelDeletedDto> {
    const s = await this.scope.resolve(ctx, req);
    return this.models.delete(ctx, s.orgId, s.orbitId, joinId(id));
  }

  @Post('*id')
  @HttpCode(200)
  @applyAll(SCOPE_HEADERS)
  @ApiOperation({ summary: 'Model action', description: ACTION_DOC })
  @ApiParam({ name: 'id', type: String, description: '`{id}:{action}`' })
  @ApiBody({ required: false, type: ModelFileCreateDto })
  @ApiOkResponse({ type: ModelResponseDto })
  async action(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Param('id') id: string[],
    @Body() body: unknown,
  ): Promise<ModelResponseDto | ModelLoadFileResponseDto> {
    const s = await this.scope.resolve(ctx, req);
    return act(this.models, ctx, s.orgId, s.orbitId, id, body);
  }
}
