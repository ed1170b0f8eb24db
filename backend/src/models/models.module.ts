import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { CollectionsModule } from '../collections/collections.module.js';
import { DeploymentsModule } from '../deployments/deployments.module.js';
import { OrbitsModule } from '../orbits/orbits.module.js';
import { OrbitSecretsModule } from '../secrets/orbit-secrets.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { GatewayController } from './gateway.controller.js';
import { GatewayService } from './gateway.service.js';
import { ModelLoadsController } from './model-loads.controller.js';
import {
  ModelsController,
  ModelUsageController,
  OpenAiModelsController,
} from './models.controller.js';
import { ModelsService } from './models.service.js';
import { ObjectStoreSource } from './object-store.js';
import { OpenAiScope } from './openai-scope.js';

@Module({
  imports: [
    ArtifactsModule,
    CollectionsModule,
    DeploymentsModule,
    OrbitsModule,
    OrbitSecretsModule,
    StorageModule,
    TasksModule,
  ],
  controllers: [
    ModelsController,
    ModelUsageController,
    OpenAiModelsController,
    GatewayController,
    ModelLoadsController,
  ],
  providers: [ModelsService, GatewayService, OpenAiScope, ObjectStoreSource],
  exports: [ModelsService],
})
export class ModelsModule {}
