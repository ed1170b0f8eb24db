import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
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
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { IsTags, ToArray, TAG } from '../../collections/dto/tags.validator.js';
import { PageQueryDto } from '../../common/pagination.js';
import { ARTIFACT_FORMATS, type ArtifactFormat } from '../../manifest/format-detect.js';
import {
  ARTIFACT_STATUSES,
  ARTIFACT_TYPES,
  type ArtifactStatus,
  type ArtifactType,
} from '../artifact.entity.js';

export const METRIC_KEY = /^[A-Za-z0-9_.\-/]{1,100}$/;
export const MAX_METRICS = 200;
const MAX_MANIFEST_BYTES = 256 * 1024;
const FILE_NAME = /^[^/\\\x00-\x1f\x7f]+$/;

/** A flat map of ≤ 200 metric keys (`^[A-Za-z0-9_.\-/]{1,100}$`) to finite numbers. */
function IsMetrics(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMetrics',
      validator: {
        validate: (v: unknown) =>
          isPlainObject(v) &&
          Object.keys(v).length <= MAX_METRICS &&
          Object.entries(v).every(
            ([k, x]) => METRIC_KEY.test(k) && typeof x === 'number' && Number.isFinite(x),
          ),
        defaultMessage: () =>
          `metrics must be an object of at most ${MAX_METRICS} keys matching ${METRIC_KEY.source} to finite numbers`,
      },
    },
    options,
  );
}

/** A JSON object of at most 256 KiB. */
function IsManifest(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isManifest',
      validator: {
        validate: (v: unknown) =>
          isPlainObject(v) && Buffer.byteLength(JSON.stringify(v)) <= MAX_MANIFEST_BYTES,
        defaultMessage: () =>
          `manifest must be a JSON object of at most ${MAX_MANIFEST_BYTES} bytes`,
      },
    },
    options,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const METRICS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'number' },
  example: { accuracy: 0.93, loss: 0.21 },
} as const;

export class ArtifactCreateDto {
  @ApiProperty({ maxLength: 200, example: 'sentiment-v3' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
  @ApiProperty({
    maxLength: 255,
    example: 'model.onnx',
    description: 'Name of the file as downloaded; no path separators.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @Matches(FILE_NAME, { message: 'fileName must not contain slashes or control characters' })
  fileName: string;
  @ApiProperty({ description: 'Exact size, bytes.', minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  size: number;
  @ApiProperty({
    description: 'SHA-256 of the file, hex.',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  })
  @IsString()
  @Matches(/^[a-fA-F0-9]{64}$/, { message: 'sha256 must be 64 hex characters' })
  sha256: string;
  @ApiPropertyOptional({ maxLength: 200, default: 'application/octet-stream' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, { message: 'contentType must be a media type' })
  contentType?: string;
  @ApiPropertyOptional({
    enum: ARTIFACT_TYPES,
    description: "Default: the collection's type (`model` in a mixed collection).",
  })
  @IsOptional()
  @IsIn(ARTIFACT_TYPES)
  type?: ArtifactType;
  @ApiPropertyOptional({
    enum: ARTIFACT_FORMATS,
    description: 'Default: detected from the file name, refined from the header on completion.',
  })
  @IsOptional()
  @IsIn(ARTIFACT_FORMATS)
  format?: ArtifactFormat;
  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50 }) @IsOptional() @IsTags() tags?: string[];
  @ApiPropertyOptional({
    ...METRICS_SCHEMA,
    description: `≤ ${MAX_METRICS} keys matching ${METRIC_KEY.source}, finite numbers.`,
  })
  @IsOptional()
  @IsMetrics()
  metrics?: Record<string, number>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "Client-side description of the model's interface; merged with what the file's header declares.",
  })
  @IsOptional()
  @IsManifest()
  manifest?: Record<string, unknown>;
}

export class ArtifactUpdateDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;
  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50, description: 'Replaces the tags.' })
  @IsOptional()
  @IsTags()
  tags?: string[];
  @ApiPropertyOptional({ ...METRICS_SCHEMA, description: 'Replaces the metrics map.' })
  @IsOptional()
  @IsMetrics()
  metrics?: Record<string, number>;
}

export class UploadPlanDto {
  @ApiProperty({ enum: ['single', 'multipart'] }) mode: 'single' | 'multipart';
  @ApiPropertyOptional({ description: '`single`: PUT the whole file here.' }) url?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Headers to send with the PUT.',
  })
  headers?: Record<string, string>;
  @ApiPropertyOptional({ description: '`multipart`: the upload id.' }) uploadId?: string;
  @ApiPropertyOptional({
    description: '`multipart`: bytes per part (the last part is the remainder).',
  })
  partSize?: number;
  @ApiPropertyOptional({ description: '`multipart`: number of parts.' }) partCount?: number;
  @ApiProperty({
    description: 'When the URL (single) stops working; ask for new part URLs any time.',
  })
  expiresAt: string;
}

export class ArtifactResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() collectionId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ARTIFACT_TYPES }) type: string;
  @ApiProperty({ enum: ARTIFACT_FORMATS }) format: string;
  @ApiProperty() fileName: string;
  @ApiProperty() contentType: string;
  @ApiProperty({ description: 'Bytes.' }) size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ enum: ARTIFACT_STATUSES }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the upload failed, when it did.' })
  statusReason: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Inputs/outputs and metadata: from the client, and from the file header (ONNX, GGUF) once uploaded.',
  })
  manifest: Record<string, unknown>;
  @ApiProperty(METRICS_SCHEMA) metrics: Record<string, number>;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ nullable: true, type: String }) createdBy: string | null;
  @ApiProperty({ nullable: true, type: String }) uploadedAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ArtifactCreatedDto {
  @ApiProperty({ type: ArtifactResponseDto }) artifact: ArtifactResponseDto;
  @ApiProperty({ type: UploadPlanDto }) upload: UploadPlanDto;
}

export class UploadPartsSignDto {
  @ApiProperty({
    type: [Number],
    description: 'Part numbers to sign (1-based), at most 1000 a call.',
    example: [1, 2, 3],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(10000, { each: true })
  partNumbers: number[];
}

export class SignedPartDto {
  @ApiProperty() partNumber: number;
  @ApiProperty({ enum: ['PUT'] }) method: 'PUT';
  @ApiProperty() url: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<
    string,
    string
  >;
  @ApiProperty() expiresAt: string;
}

export class UploadPartsSignedDto {
  @ApiProperty({ type: [SignedPartDto] }) parts: SignedPartDto[];
}

export class StoredPartDto {
  @ApiProperty() partNumber: number;
  @ApiProperty({ description: 'Bytes.' }) size: number;
  @ApiProperty() etag: string;
}

export class UploadStatusDto {
  @ApiProperty({ enum: ['single', 'multipart'] }) mode: 'single' | 'multipart';
  @ApiProperty({ nullable: true, type: String }) uploadId: string | null;
  @ApiProperty() partSize: number;
  @ApiProperty() partCount: number;
  @ApiProperty({
    type: [StoredPartDto],
    description: 'Parts the storage already holds; send only the others.',
  })
  parts: StoredPartDto[];
  @ApiPropertyOptional({ description: '`single`: a fresh URL to PUT the whole file to.' })
  url?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  headers?: Record<string, string>;
  @ApiPropertyOptional() expiresAt?: string;
}

export class CompletedPartDto {
  @ApiProperty() @IsInt() @Min(1) @Max(10000) partNumber: number;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) etag: string;
}

export class ArtifactCompleteDto {
  @ApiPropertyOptional({
    type: [CompletedPartDto],
    description: 'Multipart only; default: the parts the storage holds.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => CompletedPartDto)
  parts?: CompletedPartDto[];
}

export class DownloadUrlDto {
  @ApiProperty({ description: 'Presigned GET; supports HTTP Range.' }) url: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty() fileName: string;
}

export const ARTIFACT_SORT = /^(created_at|updated_at|name|size|metrics\.[A-Za-z0-9_.\-/]{1,100})$/;

export class ArtifactQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID() collectionId?: string;
  @ApiPropertyOptional({ enum: ARTIFACT_TYPES })
  @IsOptional()
  @IsIn(ARTIFACT_TYPES)
  type?: ArtifactType;
  @ApiPropertyOptional({ enum: ARTIFACT_FORMATS })
  @IsOptional()
  @IsIn(ARTIFACT_FORMATS)
  format?: ArtifactFormat;
  @ApiPropertyOptional({ enum: ARTIFACT_STATUSES })
  @IsOptional()
  @IsIn(ARTIFACT_STATUSES)
  status?: ArtifactStatus;
  @ApiPropertyOptional({
    type: [String],
    description: 'Repeatable; artifacts carrying every listed tag.',
  })
  @IsOptional()
  @ToArray()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(TAG, { each: true, message: 'each tag must be a valid tag' })
  tag?: string[];
  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Case-insensitive match on name, description and file name.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
  @ApiPropertyOptional({
    description:
      '`created_at`, `updated_at`, `name`, `size`, or `metrics.<key>` (numeric; artifacts without the key come last).',
    default: 'created_at',
    example: 'metrics.accuracy',
  })
  @IsOptional()
  @IsString()
  @Matches(ARTIFACT_SORT, {
    message: 'sort must be created_at, updated_at, name, size or metrics.<key>',
  })
  sort?: string;
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class ArtifactPageDto {
  @ApiProperty({ type: [ArtifactResponseDto] }) items: ArtifactResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
