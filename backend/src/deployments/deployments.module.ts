import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { SatellitesModule } from '../satellites/satellites.module.js';
import { OrbitSecretsModule } from '../secrets/orbit-secrets.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { TracksModule } from '../tracks/tracks.module.js';
import { AliasFollowService } from './alias-follow.service.js';
import { DeploymentsAgentController } from './deployments-agent.controller.js';
import { DeploymentsController } from './deployments.controller.js';
import { DeploymentsService } from './deployments.service.js';
import { InferenceFastPath } from './inference-fast-path.middleware.js';
import { InferenceProxy } from './inference-proxy.service.js';
import { InferenceRouteCache } from './inference-route-cache.js';

@Module({
  imports: [ArtifactsModule, OrbitSecretsModule, SatellitesModule, TasksModule, TracksModule],
  controllers: [DeploymentsController, DeploymentsAgentController],
  providers: [DeploymentsService, InferenceProxy, InferenceRouteCache, AliasFollowService],
  exports: [DeploymentsService],
})
export class DeploymentsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(InferenceFastPath).forRoutes(DeploymentsController);
  }
}
