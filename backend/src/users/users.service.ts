import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext, UserPrincipal } from '../common/auth/principal.js';
import { hashPassword, verifyPassword } from '../common/crypto.js';
import { NotFound, ValidationFailed } from '../common/errors.js';
import { AuthService, toUserResponse } from './auth.service.js';
import type { PasswordChangeDto, UserResponseDto, UserUpdateDto } from './dto/auth.dto.js';
import { User } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  async me(user: UserPrincipal): Promise<UserResponseDto> {
    const u = await this.db.getRepository(User).findOneBy({ id: user.userId });
    if (!u) throw new NotFound('User', user.userId);
    return toUserResponse(u);
  }

  async update(
    ctx: RequestContext,
    user: UserPrincipal,
    dto: UserUpdateDto,
  ): Promise<UserResponseDto> {
    await this.db.transaction(async (m) => {
      if (dto.fullName !== undefined)
        await m.update(User, { id: user.userId }, { fullName: dto.fullName.trim() });
      await this.audit.record(
        ctx,
        { action: 'user.update', resourceType: 'user', resourceId: user.userId },
        m,
      );
    });
    return this.me(user);
  }

  /** Changes the password and revokes every refresh token, so other sessions end. */
  async changePassword(
    ctx: RequestContext,
    user: UserPrincipal,
    dto: PasswordChangeDto,
  ): Promise<void> {
    const u = await this.db
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id: user.userId })
      .getOne();
    if (!u) throw new NotFound('User', user.userId);
    if (!(await verifyPassword(dto.currentPassword, u.passwordHash))) {
      throw new ValidationFailed('Current password is wrong', [
        { field: 'currentPassword', problems: ['is wrong'] },
      ]);
    }
    const passwordHash = await hashPassword(dto.newPassword);
    await this.db.transaction(async (m) => {
      await m.update(User, { id: user.userId }, { passwordHash });
      await this.auth.revokeAllSessions(m, user.userId);
      await this.audit.record(
        ctx,
        { action: 'user.password_change', resourceType: 'user', resourceId: user.userId },
        m,
      );
    });
  }
}
