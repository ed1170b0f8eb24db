import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

export const DEPLOYMENT_STATUSES = [
  'pending',
  'deploying',
  'active',
  'failed',
  'stopping',
  'stopped',
  'not_responding',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const DEPLOYMENT_PHASES = ['queued', 'claimed', 'downloaded', 'started', 'healthy'] as const;
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];
export const RUNTIMES = ['docker', 'process'] as const;

const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;

export class DeploymentResourcesDto {
  @ApiPropertyOptional({
    description: 'GPUs to attach (Docker DeviceRequests; CUDA_VISIBLE_DEVICES for processes).',
    minimum: 0,
    maximum: 64,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(64)
  gpus?: number;
  @ApiPropertyOptional({ description: 'Memory limit, MiB (Docker).', minimum: 16 })
  @IsOptional()
  @IsInt()
  @Min(16)
  @Max(16 * 1024 * 1024)
  memoryMb?: number;
  @ApiPropertyOptional({ description: 'CPU limit in CPUs, e.g. 1.5 (Docker).', minimum: 0.01 })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(4096)
  cpus?: number;
}

export class DeploymentAdapterDto {
  @ApiProperty({
    maxLength: 300,
    example: 'ft:acme/tiny:support-v1',
    description: 'Model name the adapter is served as (`model` of a request selects it).',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  name: string;
  @ApiProperty({ description: 'The adapter artifact (uploaded, a GGUF LoRA adapter).' })
  @IsUUID()
  artifactId: string;
}

export class DeploymentCreateDto {
  @ApiPropertyOptional({
    description:
      'The model artifact to serve (uploaded, ONNX or GGUF). Give either this or `track` and `alias`.',
  })
  @IsOptional()
  @IsUUID()
  artifactId?: string;
  @ApiPropertyOptional({
    description:
      'Deploy by alias: the track (id or name) whose `alias` to follow. Moving the alias redeploys the new version on the same satellite.',
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  track?: string;
  @ApiPropertyOptional({
    description: 'Deploy by alias: the alias of `track` to follow, e.g. `production`.',
    maxLength: 63,
    example: 'production',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,62}$/, { message: 'alias must be a valid alias name' })
  alias?: string;
  @ApiProperty({ maxLength: 100, example: 'fraud-v3' })
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
  @ApiPropertyOptional({
    description:
      'Satellite to run on; default: an active satellite of the orbit that serves the format and has free slots.',
  })
  @IsOptional()
  @IsUUID()
  satelliteId?: string;
  @ApiPropertyOptional({
    enum: RUNTIMES,
    description: 'Runtime to prefer; default: docker when the satellite has it, else process.',
  })
  @IsOptional()
  @IsIn(RUNTIMES)
  runtime?: 'docker' | 'process';
  @ApiPropertyOptional({
    ...STRING_MAP,
    description: 'Environment variables of the model server (names: letters, digits, _).',
    example: { APOGEE_ONNX_THREADS: '1' },
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;
  @ApiPropertyOptional({
    ...STRING_MAP,
    description: 'Environment variable → orbit secret name; resolved for the satellite only.',
    example: { HF_TOKEN: 'hf-token' },
  })
  @IsOptional()
  @IsObject()
  secrets?: Record<string, string>;
  @ApiPropertyOptional({ type: DeploymentResourcesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeploymentResourcesDto)
  resources?: DeploymentResourcesDto;
  @ApiPropertyOptional({
    type: [DeploymentAdapterDto],
    description:
      'LoRA adapters (GGUF models only) loaded on the model; each is served as one more model name.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => DeploymentAdapterDto)
  adapters?: DeploymentAdapterDto[];
}

export class DeploymentDeleteQueryDto {
  @ApiPropertyOptional({
    description:
      'Remove the record now, without waiting for the satellite to stop the model (it still gets an undeploy task).',
  })
  @IsOptional()
  @Transform(({ value }) =>
    value === 'true' || value === true
      ? true
      : value === 'false' || value === false
        ? false
        : value,
  )
  @IsBoolean()
  force?: boolean;
}

export class DeploymentLogsQueryDto {
  @ApiPropertyOptional({ description: 'Last N lines (1–1000). Default 200.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  lines?: number;
}

export class DeploymentPhasesDto {
  @ApiPropertyOptional({ type: String, nullable: true }) queued?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) claimed?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) downloaded?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) started?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) healthy?: string | null;
}

export class DeploymentHealthDto {
  @ApiProperty() healthy: boolean;
  @ApiProperty({
    description: 'starting, running, exited or absent (the satellite does not run it).',
  })
  state: string;
  @ApiPropertyOptional({ type: String, nullable: true }) error?: string | null;
  @ApiProperty() checkedAt: string;
}

export class DeploymentTaskSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() type: string;
  @ApiProperty() status: string;
  @ApiProperty() attempt: number;
  @ApiProperty() maxAttempts: number;
  @ApiProperty({ nullable: true, type: String }) progress: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
}

export class DeploymentResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() satelliteId: string;
  @ApiProperty() satelliteName: string;
  @ApiProperty({
    description: 'The artifact being served (for an alias follower: the version now served).',
  })
  artifactId: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Deploy by alias: the followed track, else null.',
  })
  trackId: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Deploy by alias: the followed alias of `trackId`, else null.',
  })
  alias: string | null;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ example: 'onnx' }) format: string;
  @ApiProperty({
    enum: RUNTIMES,
    nullable: true,
    description: 'The runtime the satellite chose, once it started the model.',
  })
  runtime: string | null;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status: DeploymentStatus;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why it failed or is not responding (with the last log lines).',
  })
  statusReason: string | null;
  @ApiProperty(STRING_MAP) env: Record<string, string>;
  @ApiProperty({ ...STRING_MAP, description: 'Environment variable → secret name (never values).' })
  secrets: Record<string, string>;
  @ApiProperty({ type: DeploymentResourcesDto }) resources: DeploymentResourcesDto;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Where the satellite serves it (authorized with the caller’s API key).',
  })
  inferenceUrl: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'The model’s OpenAPI schema (`/schema`).',
  })
  schema: Record<string, unknown> | null;
  @ApiProperty({
    type: DeploymentPhasesDto,
    description: 'Cold-start waterfall: when each phase was reached.',
  })
  phases: DeploymentPhasesDto;
  @ApiProperty({ type: DeploymentHealthDto, nullable: true }) health: DeploymentHealthDto | null;
  @ApiProperty({
    type: DeploymentTaskSummaryDto,
    nullable: true,
    description: 'The latest task of the deployment.',
  })
  lastTask: DeploymentTaskSummaryDto | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class DeploymentLogsDto {
  @ApiProperty({ type: [String] }) lines: string[];
  @ApiProperty({ nullable: true, type: String, description: 'When the satellite last sent them.' })
  updatedAt: string | null;
}

/* ---- satellite side ---- */

export class DeploymentHealthReportDto {
  @ApiProperty() @IsUUID() id: string;
  @ApiProperty() @IsBoolean() healthy: boolean;
  @ApiProperty({ enum: ['starting', 'running', 'exited', 'absent'] })
  @IsIn(['starting', 'running', 'exited', 'absent'])
  state: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4000) error?: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'Last log lines of the model server (at most 500).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(4000, { each: true })
  logs?: string[];
}

export class SatelliteHeartbeatDto {
  @ApiProperty({ type: [DeploymentHealthReportDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DeploymentHealthReportDto)
  deployments: DeploymentHealthReportDto[];
}

export class WantedDeploymentDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status: DeploymentStatus;
  @ApiProperty({ description: 'True when the model should be running on the satellite.' })
  wanted: boolean;
}

export class SatelliteHeartbeatResponseDto {
  @ApiProperty({
    type: [WantedDeploymentDto],
    description: 'Every deployment placed on this satellite.',
  })
  deployments: WantedDeploymentDto[];
}

export class DeploymentSpecDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status: DeploymentStatus;
  @ApiProperty() artifactId: string;
  @ApiProperty() format: string;
  @ApiProperty() sha256: string;
  @ApiProperty() size: number;
  @ApiProperty() fileName: string;
  @ApiProperty({ enum: RUNTIMES, nullable: true }) runtime: string | null;
  @ApiProperty(STRING_MAP) env: Record<string, string>;
  @ApiProperty({
    type: [String],
    description: 'Environment variables filled from secrets (resolve them with …/secrets).',
  })
  secretEnv: string[];
  @ApiProperty({ type: DeploymentResourcesDto }) resources: DeploymentResourcesDto;
  @ApiProperty({ type: [DeploymentAdapterDto] }) adapters: DeploymentAdapterDto[];
}

export class DeploymentAdapterUrlDto {
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty() fileName: string;
}

export class DeploymentArtifactUrlDto {
  @ApiProperty() url: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty() fileName: string;
  @ApiProperty() format: string;
  @ApiProperty({
    type: [DeploymentAdapterUrlDto],
    description: 'Signed URLs of the LoRA adapters, in order.',
  })
  adapters: DeploymentAdapterUrlDto[];
}

export class DeploymentSecretsDto {
  @ApiProperty({ ...STRING_MAP, description: 'Environment variable → secret value.' }) env: Record<
    string,
    string
  >;
}

export class DeploymentReportDto {
  @ApiPropertyOptional({ enum: ['downloaded', 'started', 'healthy'] })
  @IsOptional()
  @IsIn(['downloaded', 'started', 'healthy'])
  phase?: 'downloaded' | 'started' | 'healthy';
  @ApiPropertyOptional({ description: 'When the phase was reached (default now).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
  @ApiPropertyOptional({ enum: RUNTIMES }) @IsOptional() @IsIn(RUNTIMES) runtime?:
    'docker' | 'process';
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(4000, { each: true })
  logs?: string[];
}

export class SatelliteAuthorizeDto {
  @ApiProperty({ description: 'The bearer token the caller presented to the satellite.' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token: string;
  @ApiProperty() @IsUUID() deploymentId: string;
}

export class SatelliteAuthorizeResponseDto {
  @ApiProperty() allowed: boolean;
  @ApiProperty({ description: 'How long the satellite may cache this answer, seconds.' })
  ttlSec: number;
  @ApiPropertyOptional() reason?: string;
}
