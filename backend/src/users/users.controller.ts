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
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx, CurrentUser, SessionOnly } from '../common/auth/decorators.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyCreateDto, ApiKeyCreatedDto, ApiKeyResponseDto } from './dto/api-key.dto.js';
import { PasswordChangeDto, UserResponseDto, UserUpdateDto } from './dto/auth.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Get()
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: UserPrincipal): Promise<UserResponseDto> {
    return this.users.me(user);
  }

  @Patch()
  @ApiOkResponse({ type: UserResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Body() dto: UserUpdateDto,
  ): Promise<UserResponseDto> {
    return this.users.update(ctx, user, dto);
  }

  @Put('password')
  @SessionOnly()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password changed; all refresh tokens are revoked.' })
  changePassword(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Body() dto: PasswordChangeDto,
  ): Promise<void> {
    return this.users.changePassword(ctx, user, dto);
  }

  @Post('api-keys')
  @SessionOnly()
  @ApiCreatedResponse({
    type: ApiKeyCreatedDto,
    description: 'The key is in `key`, shown only once.',
  })
  createApiKey(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Body() dto: ApiKeyCreateDto,
  ): Promise<ApiKeyCreatedDto> {
    return this.apiKeys.create(ctx, user, dto);
  }

  @Get('api-keys')
  @ApiOkResponse({ type: [ApiKeyResponseDto] })
  listApiKeys(@CurrentUser() user: UserPrincipal): Promise<ApiKeyResponseDto[]> {
    return this.apiKeys.list(user);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  revokeApiKey(
    @Ctx() ctx: RequestContext,
    @CurrentUser() user: UserPrincipal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    return this.apiKeys.revoke(ctx, user, id);
  }
}
