import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageBackend } from './storage-backend.entity.js';
import { StorageBackendsService } from './storage-backends.service.js';
import { LocalStorageController } from './local-storage.controller.js';
import { StorageDriversService } from './storage-drivers.service.js';
import { RemoteDriversService } from './remote-drivers.service.js';
import { StorageBackendsController } from './storage-backends.controller.js';
import { UploadSweeperService } from './upload-sweeper.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([StorageBackend])],
  controllers: [StorageBackendsController, LocalStorageController],
  providers: [
    StorageBackendsService,
    StorageDriversService,
    RemoteDriversService,
    UploadSweeperService,
  ],
  exports: [StorageBackendsService, StorageDriversService, RemoteDriversService],
})
export class StorageModule {}
