import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentSatellite, SatelliteOnly } from '../common/auth/decorators.js';
import type { SatellitePrincipal } from '../common/auth/principal.js';
import {
  TaskClaimDto,
  TaskClaimResponseDto,
  TaskCompleteDto,
  TaskFailDto,
  TaskHeartbeatDto,
  TaskResponseDto,
} from './dto/task.dto.js';
import { CLAIM_WAIT_MAX_MS, DEFAULT_LEASE_MS, TasksService } from './tasks.service.js';
import { toTaskResponse } from './task-response.js';

const uuid = new ParseUUIDPipe();

/** The satellite side of the queue: claim (long poll), heartbeat, complete, fail. Only the lease holder reports. */
@ApiTags('satellite-protocol')
@ApiBearerAuth()
@SatelliteOnly()
@Controller('satellites/v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post('claim')
  @HttpCode(200)
  @ApiOkResponse({
    type: TaskClaimResponseDto,
    description:
      'Waits up to `waitMs` and answers the moment a task is queued; `task` is null when none came.',
  })
  async claim(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Body() dto: TaskClaimDto,
    @Req() req: Request,
  ): Promise<TaskClaimResponseDto> {
    const abort = new AbortController();
    // A satellite that hangs up stops waiting: a task claimed for nobody would sit out its lease.
    const onClose = () => abort.abort();
    req.socket.once('close', onClose);
    try {
      const task = await this.tasks.claim(
        sat,
        {
          waitMs: dto.waitMs ?? CLAIM_WAIT_MAX_MS,
          leaseMs: dto.leaseMs ?? DEFAULT_LEASE_MS,
          types: dto.types,
        },
        abort.signal,
      );
      return { task: task ? toTaskResponse(task) : null };
    } finally {
      req.socket.off('close', onClose);
    }
  }

  @Get(':id')
  @ApiOkResponse({ type: TaskResponseDto })
  async get(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
  ): Promise<TaskResponseDto> {
    return toTaskResponse(await this.tasks.get(sat, id));
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiOkResponse({
    type: TaskResponseDto,
    description:
      'Extends the lease; 409 `task_lease_lost` when this satellite no longer holds the task (stop working on it).',
  })
  async heartbeat(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
    @Body() dto: TaskHeartbeatDto,
  ): Promise<TaskResponseDto> {
    return toTaskResponse(
      await this.tasks.heartbeat(sat, id, {
        progress: dto.progress,
        leaseMs: dto.leaseMs ?? DEFAULT_LEASE_MS,
      }),
    );
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOkResponse({ type: TaskResponseDto })
  async complete(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
    @Body() dto: TaskCompleteDto,
  ): Promise<TaskResponseDto> {
    return toTaskResponse(await this.tasks.complete(sat, id, dto.result ?? {}));
  }

  @Post(':id/fail')
  @HttpCode(200)
  @ApiOkResponse({
    type: TaskResponseDto,
    description: 'Retryable failures with attempts left go back to the queue with backoff.',
  })
  async fail(
    @CurrentSatellite() sat: SatellitePrincipal,
    @Param('id', uuid) id: string,
    @Body() dto: TaskFailDto,
  ): Promise<TaskResponseDto> {
    return toTaskResponse(
      await this.tasks.fail(sat, id, {
        error: dto.error,
        retryable: dto.retryable ?? true,
        result: dto.result,
      }),
    );
  }
}
