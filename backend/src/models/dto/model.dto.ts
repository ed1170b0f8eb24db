import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
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

export const MODEL_SOURCES = ['hugging_face', 'object_store', 'ollama', 'artifact'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number] | 'fine_tuning';
export const MODEL_STATUSES = ['REQUESTED', 'LOADING', 'SUCCEEDED', 'FAILED'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export const MODEL_FORMATS = ['gguf', 'hugging-face', 'onnx', 'ollama', 'triton'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];
export const ADAPTERS = ['lora', 'qlora'] as const;
export const SUFFIX = /^[a-z0-9-]{1,40}$/;

/** How an active model runs (llmariner's ModelConfig). */
export class ModelConfigDto {
  @ApiPropertyOptional({
    description:
      'Deployments to run, each on its own satellite when several are allowed. Default 1.',
    minimum: 1,
    maximum: 16,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(16)
  replicas?: number;
  @ApiPropertyOptional({ description: 'GPUs per replica. Default 0.', minimum: 0, maximum: 64 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(64)
  gpus?: number;
  @ApiPropertyOptional({
    type: [String],
    description: 'Extra model-server flags, passed to the runtime as `APOGEE_MODEL_SERVER_ARGS`.',
    maxItems: 50,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  extraArgs?: string[];
  @ApiPropertyOptional({
    type: [String],
    description:
      'Satellites it may run on (ids); empty means any satellite of the orbit that serves its format.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  allowedSatelliteIds?: string[];
  @ApiPropertyOptional({
    enum: ['docker', 'process'],
    description: 'Runtime to ask for; default: the satellite chooses.',
  })
  @IsOptional()
  @IsIn(['docker', 'process'])
  runtime?: 'docker' | 'process';
  @ApiPropertyOptional({
    description: 'A gateway request for the inactive model activates it and waits. Default false.',
  })
  @IsOptional()
  @IsBoolean()
  onDemand?: boolean;
}

export class ModelCreateDto {
  @ApiProperty({
    maxLength: 300,
    description:
      'The id clients use (kept for life). Hugging Face `org/repo` or `org/repo/file.gguf`; Ollama `name:tag`; anything path-like for S3 and artifacts. Omitted for fine-tuned models (`ft:<base>:<suffix>`).',
    example: 'acme/tiny-llama',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  id?: string;

  @ApiPropertyOptional({
    enum: MODEL_SOURCES,
    description:
      'Where a base model comes from. Required unless `baseModelId` is set (fine-tuned).',
  })
  @IsOptional()
  @IsString()
  source?: string;

  @ApiPropertyOptional({
    maxLength: 1000,
    description:
      'Where to load from when it differs from `id`: `s3://bucket/prefix`, a Hugging Face `org/repo[/file]`, `name:tag`, or an artifact id.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  location?: string;

  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Hugging Face revision (branch, tag or commit). Default `main`.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9._/-]+$/)
  revision?: string;

  @ApiPropertyOptional({
    maxLength: 100,
    description: 'Orbit secret holding the Hugging Face token (gated repos).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tokenSecret?: string;

  @ApiPropertyOptional({
    description: 'Object store: the organization storage backend whose credentials read `s3://…`.',
  })
  @IsOptional()
  @IsUUID()
  storageBackendId?: string;

  @ApiPropertyOptional({
    description:
      'A repository with several GGUF files becomes one more base model per file (`<id>/<file>`).',
  })
  @IsOptional()
  @IsBoolean()
  splitGguf?: boolean;

  @ApiPropertyOptional({
    maxLength: 300,
    description: 'Fine-tuned: the base model (visible in this orbit).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  baseModelId?: string;

  @ApiPropertyOptional({
    description: 'Fine-tuned: `ft:<base>:<suffix>`; lowercase letters, digits and `-`, 1–40.',
  })
  @IsOptional()
  @IsString()
  suffix?: string;

  @ApiPropertyOptional({ enum: ADAPTERS, description: 'Fine-tuned: adapter type. Default `lora`.' })
  @IsOptional()
  @IsIn(ADAPTERS)
  adapter?: 'lora' | 'qlora';

  @ApiPropertyOptional({ type: ModelConfigDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ModelConfigDto)
  config?: ModelConfigDto;
}

export class ModelUpdateDto {
  @ApiProperty({ type: ModelConfigDto, description: 'Replaces the whole config.' })
  @ValidateNested()
  @Type(() => ModelConfigDto)
  config: ModelConfigDto;
}

export class ModelFileCreateDto {
  @ApiProperty({ maxLength: 500, example: 'adapter_model.safetensors' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @Matches(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._\-/]+$/, { message: 'path must be relative, without ..' })
  path: string;
  @ApiProperty({ description: 'Bytes.' }) @Type(() => Number) @IsInt() @Min(0) size: number;
  @ApiProperty({ example: 'e3b0…' }) @IsString() @Matches(/^[a-f0-9]{64}$/i) sha256: string;
}

export class ModelListQueryDto {
  @ApiPropertyOptional({
    description: 'Include models still loading (REQUESTED, LOADING) and failed ones.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  include_loading?: 'true' | 'false';
  @ApiPropertyOptional({ description: 'Cursor: the last model id of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;
  @ApiPropertyOptional({ description: '1–500. Default 100.', minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
  @ApiPropertyOptional({ description: 'Dashboard: include unpublished fine-tuned models.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  include_unpublished?: 'true' | 'false';
}

export class ModelFileDto {
  @ApiProperty() path: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ nullable: true }) artifactId: string | null;
  @ApiProperty() uploaded: boolean;
}

/** The OpenAI model object plus Apogee's (and llmariner's) extensions. */
export class ModelResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['model'] }) object: 'model';
  @ApiProperty({ description: 'Unix seconds.' }) created: number;
  @ApiProperty({ description: '`system` for base models, `user` for fine-tuned ones.' })
  owned_by: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty({ enum: ['base', 'fine_tuned'] }) kind: 'base' | 'fine_tuned';
  @ApiProperty() source: string;
  @ApiProperty() location: string;
  @ApiProperty({ enum: MODEL_STATUSES }) loadingStatus: ModelStatus;
  @ApiProperty({
    nullable: true,
    description: 'Progress while loading (files and bytes done of total).',
  })
  loadingStatusMessage: string | null;
  @ApiProperty({ nullable: true }) loadingFailureReason: string | null;
  @ApiProperty({ type: [String] }) formats: string[];
  @ApiProperty({ nullable: true }) baseModelId: string | null;
  @ApiProperty({ nullable: true, enum: ADAPTERS }) adapter: string | null;
  @ApiProperty() published: boolean;
  @ApiProperty({ enum: ['active', 'inactive'] }) activationStatus: 'active' | 'inactive';
  @ApiProperty({ type: [String] }) deploymentIds: string[];
  @ApiProperty({ type: ModelConfigDto }) config: ModelConfigDto;
  @ApiProperty({ type: [ModelFileDto] }) files: ModelFileDto[];
  @ApiProperty({ nullable: true }) taskId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ModelListResponseDto {
  @ApiProperty({ enum: ['list'] }) object: 'list';
  @ApiProperty({ type: [ModelResponseDto] }) data: ModelResponseDto[];
  @ApiProperty() has_more: boolean;
}

export class ModelDeletedDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['model'] }) object: 'model';
  @ApiProperty() deleted: true;
}

export class ModelUsageQueryDto {
  @ApiPropertyOptional({ description: 'ISO time; default 30 days ago.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;
  @ApiPropertyOptional({ description: 'ISO time; default now.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;
}

export class ModelUsageRowDto {
  @ApiProperty() orbitId: string;
  @ApiProperty() modelId: string;
  @ApiProperty({ nullable: true }) apiKeyId: string | null;
  @ApiProperty({ nullable: true }) userId: string | null;
  @ApiProperty() requests: number;
  @ApiProperty() errors: number;
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
  @ApiProperty({ description: 'ms' }) latencyP50Ms: number;
  @ApiProperty({ description: 'ms' }) latencyP95Ms: number;
}

/* ---- loader protocol (satellites) ---- */

export class ModelLoadSpecDto {
  @ApiProperty() taskId: string;
  @ApiProperty() modelId: string;
  @ApiProperty() source: string;
  @ApiProperty() location: string;
  @ApiProperty() revision: string;
  @ApiProperty() splitGguf: boolean;
  @ApiProperty({
    nullable: true,
    description: 'Hugging Face token from the orbit secret, when one is set.',
  })
  huggingFaceToken: string | null;
  @ApiProperty({
    nullable: true,
    description:
      'Object store sources: the objects under the prefix, with presigned GET URLs (the loader needs no credentials).',
  })
  remoteFiles: { path: string; size: number; url: string; sha256: string | null }[] | null;
  @ApiProperty({
    type: [ModelFileDto],
    description: 'Files already stored (a resumed load skips them).',
  })
  storedFiles: ModelFileDto[];
}

export class ModelLoadFileResponseDto {
  @ApiProperty({ description: 'True when the file is already stored: nothing to upload.' })
  done: boolean;
  @ApiPropertyOptional() artifactId?: string;
  @ApiPropertyOptional({ description: 'The artifact upload plan (single PUT or multipart).' })
  upload?: Record<string, unknown>;
}

export class ModelLoadPartsDto {
  @ApiProperty({ type: [Number] })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  partNumbers: number[];
}

export class ModelLoadCompleteFileDto {
  @ApiPropertyOptional({ description: 'Multipart: part numbers and ETags.' })
  @IsOptional()
  @IsArray()
  parts?: { partNumber: number; etag: string }[];
}
