import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrbitSecret } from './orbit-secret.entity.js';
import { OrbitSecretsController } from './orbit-secrets.controller.js';
import { OrbitSecretsService } from './orbit-secrets.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([OrbitSecret])],
  controllers: [OrbitSecretsController],
  providers: [OrbitSecretsService],
  exports: [OrbitSecretsService],
})
export class OrbitSecretsModule {}
