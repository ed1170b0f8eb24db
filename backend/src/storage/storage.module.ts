import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageBackend } from './storage-backend.entity.js';
import { StorageBackendsService } from './storage-backends.service.js';
import { LocalStorageController } from './local-storage.controller.js';
import { StorageDriversService } from './storage-drivers.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([StorageBackend])],
  controllers: [LocalStorageController],
  providers: [StorageBackendsService, StorageDriversService],
  exports: [StorageBackendsService, StorageDriversService],
})
export class StorageModule {}
