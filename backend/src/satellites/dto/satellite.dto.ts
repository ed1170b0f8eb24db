import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { TASK_TYPES, type TaskType } from '../../tasks/task.types.js';

export const SATELLITE_STATUSES = ['active', 'stale', 'offline'] as const;
export type SatelliteStatus = (typeof SATELLITE_STATUSES)[number];

export class SatelliteCreateDto {
  @ApiProperty({ maxLength: 100, example: 'gpu-host-1' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class SatelliteUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class GpuDto {
  @ApiProperty({ example: 'NVIDIA A100-SXM4-80GB' }) @IsString() @MaxLength(200) model: string;
  @ApiProperty({ description: 'Memory, MiB.', example: 81920 }) @IsInt() @Min(0) memoryMb: number;
}

/** What a satellite can do, sent when it pairs. */
export class SatelliteCapabilitiesDto {
  @ApiProperty({ enum: ['docker', 'process'], isArray: true })
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(['docker', 'process'], { each: true })
  runtimes: ('docker' | 'process')[];
  @ApiProperty({ type: [GpuDto] })
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => GpuDto)
  gpus: GpuDto[];
  @ApiProperty({ description: 'Logical CPUs.' }) @IsInt() @Min(1) @Max(4096) cpus: number;
  @ApiProperty({ description: 'Total memory, MiB.' }) @IsInt() @Min(0) memoryMb: number;
  @ApiPropertyOptional({ description: 'Free disk in the model cache, MiB.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  diskFreeMb?: number;
  @ApiProperty({ description: 'Model formats it can serve.', example: ['onnx', 'gguf'] })
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(16, { each: true })
  formats: string[];
  @ApiProperty({ enum: TASK_TYPES, isArray: true })
  @IsArray()
  @IsIn(TASK_TYPES, { each: true })
  taskTypes: TaskType[];
  @ApiProperty({ description: 'Tasks it runs at once.', minimum: 1, maximum: 256 })
  @IsInt()
  @Min(1)
  @Max(256)
  maxConcurrency: number;
}

export class SatellitePairDto {
  @ApiProperty({
    description: 'URL where the satellite serves inference (its gateway).',
    example: 'http://gpu-host-1:8090',
  })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  baseUrl: string;
  @ApiProperty({ example: '0.1.0' }) @IsString() @MaxLength(100) version: string;
  @ApiProperty({ type: SatelliteCapabilitiesDto })
  @ValidateNested()
  @Type(() => SatelliteCapabilitiesDto)
  capabilities: SatelliteCapabilitiesDto;
}

export class SatelliteResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({
    description: 'First characters of the key, to recognise it.',
    example: 'sat_9fQ2',
  })
  keyPrefix: string;
  @ApiProperty() paired: boolean;
  @ApiProperty({ nullable: true, type: String }) pairedAt: string | null;
  @ApiProperty({
    enum: SATELLITE_STATUSES,
    description: 'From the last heartbeat: active < 30 s, stale < 5 min, else offline.',
  })
  status: SatelliteStatus;
  @ApiProperty({ nullable: true, type: String }) lastHeartbeatAt: string | null;
  @ApiProperty({ nullable: true, type: String }) baseUrl: string | null;
  @ApiProperty({ nullable: true, type: String }) version: string | null;
  @ApiProperty({ type: SatelliteCapabilitiesDto, nullable: true })
  capabilities: SatelliteCapabilitiesDto | null;
  @ApiProperty({ description: 'Deployments placed on it (any status).' }) deploymentsCount: number;
  @ApiProperty() createdAt: string;
}

export class SatelliteCreatedDto extends SatelliteResponseDto {
  @ApiProperty({
    description: 'The satellite key (`sat_…`). Shown only in this response; store it now.',
  })
  key: string;
}
