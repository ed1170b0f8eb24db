import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import { TokenResolvers } from '../common/auth/token-resolvers.js';
import {
  deriveKey,
  generateToken,
  hashPassword,
  hashToken,
  verifyPassword,
} from '../common/crypto.js';
import { Conflict, Forbidden, TooManyRequests, Unauthenticated } from '../common/errors.js';
import { isUniqueViolation } from '../common/errors.js';
import { signJwt, verifyJwt } from '../common/jwt.js';
import { OrganizationsService } from '../organizations/organizations.service.js';
import type { SessionResponseDto, SigninDto, SignupDto, UserResponseDto } from './dto/auth.dto.js';
import { RefreshToken, User } from './user.entity.js';

interface AccessClaims {
  sub: string;
  email: string;
  typ: 'access';
  exp: number;
}

/** Sign-up, sign-in (throttled), rotating refresh tokens with reuse detection, sign-out. */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly jwtKey: Buffer;
  private readonly tokenKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly resolvers: TokenResolvers,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditService,
  ) {
    this.jwtKey = deriveKey(config.secretKey, 'jwt');
    this.tokenKey = deriveKey(config.secretKey, 'tokens');
  }

  onModuleInit(): void {
    this.resolvers.registerJwt(async (token) => this.verifyAccessToken(token));
  }

  verifyAccessToken(token: string): UserPrincipal | null {
    const claims = verifyJwt<AccessClaims>(token, this.jwtKey);
    if (!claims || claims.typ !== 'access') return null;
    return { kind: 'user', userId: claims.sub, email: claims.email, via: 'jwt' };
  }

  /** Creates a user with a personal organization and a default orbit. */
  async signup(
    ctx: Omit<RequestContext, 'principal'>,
    dto: SignupDto,
  ): Promise<SessionResponseDto> {
    if (!this.config.signupEnabled)
      throw new Forbidden('Sign-up is disabled on this server; ask an admin for an invitation');
    const user = await this.db.transaction(async (m) => {
      const u = await this.createUser(m, dto.email, dto.password, dto.fullName ?? '', false);
      const userCtx = this.contextFor(ctx, u);
      await this.organizations.createPersonal(userCtx, m, u);
      await this.audit.record(
        userCtx,
        { action: 'user.signup', resourceType: 'user', resourceId: u.id },
        m,
      );
      return u;
    });
    return this.issueSession(user, randomUUID());
  }

  async createUser(
    m: EntityManager,
    email: string,
    password: string,
    fullName: string,
    isPlatformAdmin: boolean,
  ): Promise<User> {
    const passwordHash = await hashPassword(password);
    try {
      const r = await m.insert(User, {
        email: email.trim().toLowerCase(),
        fullName: fullName.trim(),
        passwordHash,
        isPlatformAdmin,
        disabled: false,
      });
      return m.findOneByOrFail(User, { id: r.identifiers[0]!.id as string });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new Conflict('email_taken', 'An account with this email already exists');
      throw e;
    }
  }

  async signin(
    ctx: Omit<RequestContext, 'principal'>,
    dto: SigninDto,
  ): Promise<SessionResponseDto> {
    const email = dto.email.trim().toLowerCase();
    const keys = [`ip:${ctx.ip}|${email}`, `email:${email}`];
    await this.assertNotThrottled(keys);
    const user = await this.db
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = :email', { email })
      .getOne();
    // Verify against a dummy hash when the user does not exist, so timing does not reveal accounts.
    const ok = await verifyPassword(dto.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) {
      await this.recordFailure(keys);
      throw new Unauthenticated('Wrong email or password');
    }
    await this.db.query('DELETE FROM signin_failures WHERE key = ANY($1)', [keys]);
    await this.audit.record(this.contextFor(ctx, user), {
      action: 'user.signin',
      resourceType: 'user',
      resourceId: user.id,
    });
    return this.issueSession(user, randomUUID());
  }

  /** Rotates a refresh token. Presenting an already-rotated token revokes its whole family (theft). */
  async refresh(token: string | undefined): Promise<SessionResponseDto> {
    if (!token) throw new Unauthenticated('No refresh token');
    const hash = hashToken(token, this.tokenKey);
    const session = await this.db.transaction(async (m) => {
      const row = await m
        .getRepository(RefreshToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :hash', { hash })
        .getOne();
      if (!row || row.expiresAt < new Date())
        throw new Unauthenticated('Refresh token is invalid or expired');
      if (row.revokedAt) {
        await m.update(
          RefreshToken,
          { familyId: row.familyId, revokedAt: IsNull() },
          { revokedAt: new Date() },
        );
        return null;
      }
      const user = await m.findOneBy(User, { id: row.userId });
      if (!user || user.disabled) throw new Unauthenticated('Account is disabled');
      const next = await this.issueSession(user, row.familyId, m);
      const nextRow = await m.findOneByOrFail(RefreshToken, {
        tokenHash: hashToken(next.refreshToken, this.tokenKey),
      });
      await m.update(
        RefreshToken,
        { id: row.id },
        { revokedAt: new Date(), replacedBy: nextRow.id },
      );
      return next;
    });
    if (!session)
      throw new Unauthenticated('Refresh token was already used; the session has been revoked');
    return session;
  }

  /** Revokes the session the refresh token belongs to. Idempotent. */
  async signout(token: string | undefined): Promise<void> {
    if (!token) return;
    const row = await this.db
      .getRepository(RefreshToken)
      .findOneBy({ tokenHash: hashToken(token, this.tokenKey) });
    if (row)
      await this.db
        .getRepository(RefreshToken)
        .update({ familyId: row.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** Revokes every session of a user (after a password change). */
  async revokeAllSessions(m: EntityManager, userId: string): Promise<void> {
    await m.update(RefreshToken, { userId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  async issueSession(
    user: User,
    familyId: string,
    m: EntityManager = this.db.manager,
  ): Promise<SessionResponseDto> {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = signJwt(
      {
        sub: user.id,
        email: user.email,
        typ: 'access',
        iat: now,
        exp: now + this.config.accessTokenTtlSec,
      },
      this.jwtKey,
    );
    const refreshToken = generateToken('apr_');
    await m.insert(RefreshToken, {
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken, this.tokenKey),
      expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSec * 1000),
      revokedAt: null,
      replacedBy: null,
    });
    return {
      accessToken,
      expiresIn: this.config.accessTokenTtlSec,
      refreshToken,
      user: toUserResponse(user),
    };
  }

  private contextFor(ctx: Omit<RequestContext, 'principal'>, u: User): RequestContext {
    return { ...ctx, principal: { kind: 'user', userId: u.id, email: u.email, via: 'jwt' } };
  }

  private async assertNotThrottled(keys: string[]): Promise<void> {
    const rows: { key: string; failures: number; window_started_at: Date }[] = await this.db.query(
      'SELECT key, failures, window_started_at FROM signin_failures WHERE key = ANY($1)',
      [keys],
    );
    const windowMs = this.config.signinWindowSec * 1000;
    for (const r of rows) {
      const limit = r.key.startsWith('email:')
        ? this.config.signinMaxFailures * 4
        : this.config.signinMaxFailures;
      const age = Date.now() - new Date(r.window_started_at).getTime();
      if (age < windowMs && r.failures >= limit) {
        const retry = Math.ceil((windowMs - age) / 1000);
        throw new TooManyRequests(`Too many failed sign-ins; try again in ${retry} s`, retry);
      }
    }
  }

  private async recordFailure(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.db.query(
        `INSERT INTO signin_failures (key, failures, window_started_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN signin_failures.window_started_at < now() - make_interval(secs => $2) THEN 1 ELSE signin_failures.failures + 1 END,
           window_started_at = CASE WHEN signin_failures.window_started_at < now() - make_interval(secs => $2) THEN now() ELSE signin_failures.window_started_at END`,
        [key, this.config.signinWindowSec],
      );
    }
  }
}

const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function toUserResponse(u: User): UserResponseDto {
  return {
    id: u.id,
    email: u.email,
    fullName: u.fullName,
    isPlatformAdmin: u.isPlatformAdmin,
    createdAt: u.createdAt.toISOString(),
  };
}
