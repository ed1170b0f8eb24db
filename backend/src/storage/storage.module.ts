import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageBackend } from './storage-backend.entity.js';
import { StorageBackendsService } from './storage-backends.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([StorageBackend])],
  providers: [StorageBackendsService],
  exports: [StorageBackendsService],
})
export class StorageModule {}
