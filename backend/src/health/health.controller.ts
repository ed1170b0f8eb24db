import { Controller, Get, Header, Inject } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '../common/auth/decorators.js';
import { ServiceUnavailable } from '../common/errors.js';
import { Metrics } from '../common/observability.js';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness.js';

export class HealthResponseDto {
  @ApiProperty({ example: 'ok' }) status: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { database: 'ok', storage: 'ok' },
  })
  checks?: Record<string, string>;
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: Metrics,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('healthz')
  @ApiOkResponse({ type: HealthResponseDto })
  healthz(): HealthResponseDto {
    return { status: 'ok' };
  }

  /** Readiness: the database and every storage backend in use answer. */
  @Public()
  @Get('readyz')
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not answer' })
  async readyz(): Promise<HealthResponseDto> {
    const checks: Record<string, string> = {};
    try {
      await this.db.query('SELECT 1');
      checks.database = 'ok';
    } catch (e) {
      checks.database = (e as Error).message;
    }
    for (const c of this.checks)
      checks[c.name] = await c.check().then(
        () => 'ok',
        (e: Error) => e.message,
      );
    const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
    if (failed.length)
      throw new ServiceUnavailable(
        'not_ready',
        `Not ready: ${failed.map(([k, v]) => `${k}: ${v}`).join('; ')}`,
      );
    return { status: 'ok', checks };
  }

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
