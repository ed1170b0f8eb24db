import { Module } from '@nestjs/common';
import { TaskNotifier } from './task-notifier.service.js';
import { TasksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';

@Module({
  controllers: [TasksController],
  providers: [TaskNotifier, TasksService],
  exports: [TasksService],
})
export class TasksModule {}
