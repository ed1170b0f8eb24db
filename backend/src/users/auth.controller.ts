import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ACCESS_COOKIE } from '../common/auth/auth.guard.js';
import { Public } from '../common/auth/decorators.js';
import { AuthService } from './auth.service.js';
import { RefreshDto, SessionResponseDto, SigninDto, SignupDto } from './dto/auth.dto.js';

const REFRESH_COOKIE = 'apogee_refresh';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('signup')
  @ApiCreatedResponse({ type: SessionResponseDto })
  async signup(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() dto: SignupDto,
  ): Promise<SessionResponseDto> {
    return this.withCookies(res, await this.auth.signup(anonymous(req), dto));
  }

  @Public()
  @Post('signin')
  @HttpCode(200)
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts; see Retry-After' })
  async signin(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() dto: SigninDto,
  ): Promise<SessionResponseDto> {
    return this.withCookies(res, await this.auth.signin(anonymous(req), dto));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: SessionResponseDto })
  async refresh(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() dto: RefreshDto,
  ): Promise<SessionResponseDto> {
    return this.withCookies(
      res,
      await this.auth.refresh(dto.refreshToken ?? cookie(req, REFRESH_COOKIE)),
    );
  }

  @Public()
  @Post('signout')
  @HttpCode(204)
  @ApiNoContentResponse()
  async signout(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() dto: RefreshDto,
  ): Promise<void> {
    await this.auth.signout(dto.refreshToken ?? cookie(req, REFRESH_COOKIE));
    res.clearCookie(ACCESS_COOKIE, { path: '/' });
    res.clearCookie(REFRESH_COOKIE, { path: '/v1/auth' });
  }

  private withCookies(res: Response, s: SessionResponseDto): SessionResponseDto {
    const base = { httpOnly: true, secure: this.config.cookieSecure, sameSite: 'strict' as const };
    res.cookie(ACCESS_COOKIE, s.accessToken, { ...base, path: '/', maxAge: s.expiresIn * 1000 });
    res.cookie(REFRESH_COOKIE, s.refreshToken, {
      ...base,
      path: '/v1/auth',
      maxAge: this.config.refreshTokenTtlSec * 1000,
    });
    return s;
  }
}

function anonymous(req: Request) {
  return { requestId: String(req.id), ip: req.ip ?? '' };
}

function cookie(req: Request, name: string): string | undefined {
  return (req as Request & { cookies?: Record<string, string> }).cookies?.[name];
}
