import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { LineageModule } from '../lineage/lineage.module.js';
import { TrackAliasesService } from './track-aliases.service.js';
import { TrackHooks } from './track-hooks.js';
import { TracksController } from './tracks.controller.js';
import { TracksService } from './tracks.service.js';

/** Tracks (registered models), versions, aliases and their rules and history. */
@Module({
  imports: [LineageModule, ArtifactsModule],
  controllers: [TracksController],
  providers: [TracksService, TrackAliasesService, TrackHooks],
  exports: [TracksService, TrackAliasesService, TrackHooks],
})
export class TracksModule {}
