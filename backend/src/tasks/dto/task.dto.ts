import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { TASK_STATUSES, TASK_TYPES, type TaskStatus, type TaskType } from '../task.types.js';

export class TaskClaimDto {
  @ApiPropertyOptional({
    description: 'Longest wait for a task, ms (0–25000). Default 25000.',
    minimum: 0,
    maximum: 25000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(25_000)
  waitMs?: number;
  @ApiPropertyOptional({
    description: 'Lease of the claimed task, ms (1000–600000). Default 30000.',
    minimum: 1000,
    maximum: 600000,
  })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(600_000)
  leaseMs?: number;
  @ApiPropertyOptional({
    enum: TASK_TYPES,
    isArray: true,
    description: 'Only these task types (default: what the satellite paired with).',
  })
  @IsOptional()
  @IsArray()
  @IsIn(TASK_TYPES, { each: true })
  types?: TaskType[];
}

export class TaskHeartbeatDto {
  @ApiPropertyOptional({ maxLength: 2000, example: 'downloaded 12/40 MiB' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  progress?: string;
  @ApiPropertyOptional({ description: 'New lease from now, ms (1000–600000). Default 30000.' })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(600_000)
  leaseMs?: number;
}

export class TaskCompleteDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  result?: Record<string, unknown>;
}

export class TaskFailDto {
  @ApiProperty({ maxLength: 20000 }) @IsString() @MinLength(1) @MaxLength(20_000) error: string;
  @ApiPropertyOptional({ description: 'Retry (with backoff) while attempts remain. Default true.' })
  @IsOptional()
  @IsBoolean()
  retryable?: boolean;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Details kept with a final failure (e.g. last log lines).',
  })
  @IsOptional()
  @IsObject()
  result?: Record<string, unknown>;
}

export class TaskResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: TASK_TYPES }) type: TaskType;
  @ApiProperty({ enum: TASK_STATUSES }) status: TaskStatus;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) deploymentId: string | null;
  @ApiProperty({ nullable: true, type: String }) satelliteId: string | null;
  @ApiProperty() attempt: number;
  @ApiProperty() maxAttempts: number;
  @ApiProperty({ nullable: true, type: String }) leaseExpiresAt: string | null;
  @ApiProperty({ nullable: true, type: String }) progress: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) result: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) claimedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt: string | null;
}

export class TaskClaimResponseDto {
  @ApiProperty({
    type: TaskResponseDto,
    nullable: true,
    description: 'Null when no task came within the wait.',
  })
  task: TaskResponseDto | null;
}
