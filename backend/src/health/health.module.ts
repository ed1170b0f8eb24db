import { Global, Module } from '@nestjs/common';
import { Metrics } from '../common/observability.js';
import { HealthController } from './health.controller.js';
import { READINESS_CHECKS } from './readiness.js';

@Global()
@Module({
  controllers: [HealthController],
  providers: [
    { provide: Metrics, useFactory: () => new Metrics() },
    { provide: READINESS_CHECKS, useFactory: () => [] },
  ],
  exports: [Metrics, READINESS_CHECKS],
})
export class HealthModule {}
