import { Module } from '@nestjs/common';
import { ArtifactFactsService } from './artifact-facts.service.js';
import { LineageController } from './lineage.controller.js';
import { LineageService } from './lineage.service.js';

/**
 * Artifact lineage, run information, artifact model cards and comparison. Listed before the
 * artifacts feature in FEATURE_MODULES so `GET …/artifacts/compare` is matched before
 * `GET …/artifacts/:artifact`.
 */
@Module({
  controllers: [LineageController],
  providers: [LineageService, ArtifactFactsService],
  exports: [LineageService, ArtifactFactsService],
})
export class LineageModule {}
