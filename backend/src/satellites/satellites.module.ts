import { Module } from '@nestjs/common';
import { SatelliteAgentController, SatellitesController } from './satellites.controller.js';
import { SatellitesService } from './satellites.service.js';

@Module({
  controllers: [SatellitesController, SatelliteAgentController],
  providers: [SatellitesService],
  exports: [SatellitesService],
})
export class SatellitesModule {}
