import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationsModule } from '../organizations/organizations.module.js';
import { SatellitesModule } from '../satellites/satellites.module.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { BootstrapService } from './bootstrap.service.js';
import { ApiKey, RefreshToken, User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, RefreshToken, ApiKey]),
    OrganizationsModule,
    SatellitesModule,
  ],
  controllers: [AuthController, UsersController],
  providers: [AuthService, UsersService, ApiKeysService, BootstrapService],
  exports: [AuthService, ApiKeysService, BootstrapService],
})
export class UsersModule {}
