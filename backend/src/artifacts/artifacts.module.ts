import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CollectionsModule } from '../collections/collections.module.js';
import { ManifestModule } from '../manifest/manifest.module.js';
import { OrbitsModule } from '../orbits/orbits.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { ABANDONED_UPLOAD_REAPER } from '../storage/upload-sweeper.service.js';
import { Artifact } from './artifact.entity.js';
import { ArtifactsController } from './artifacts.controller.js';
import { ArtifactsService } from './artifacts.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Artifact]),
    CollectionsModule,
    OrbitsModule,
    StorageModule,
    ManifestModule,
  ],
  controllers: [ArtifactsController],
  providers: [
    ArtifactsService,
    { provide: ABANDONED_UPLOAD_REAPER, useExisting: ArtifactsService },
  ],
  exports: [ArtifactsService],
})
export class ArtifactsModule {}
