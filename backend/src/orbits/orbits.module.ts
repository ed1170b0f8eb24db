import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageModule } from '../storage/storage.module.js';
import { Orbit, OrbitMember } from './orbit.entity.js';
import { OrbitsController } from './orbits.controller.js';
import { OrbitsService } from './orbits.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Orbit, OrbitMember]), StorageModule],
  controllers: [OrbitsController],
  providers: [OrbitsService],
  exports: [OrbitsService],
})
export class OrbitsModule {}
