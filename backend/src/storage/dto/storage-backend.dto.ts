import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const NAME_MSG =
  'name must start with a letter or digit and contain only letters, digits, spaces and . _ -';
const URL_OPTS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };
const PREFIX = /^[^/].*[^/]$|^[^/]$/;
const PREFIX_MSG = 'prefix must not start or end with a slash';

/** An S3 (or S3-compatible) bucket. The last three fields are credentials: stored encrypted, never returned. */
export class S3SettingsDto {
  @ApiPropertyOptional({
    description: 'Endpoint of an S3-compatible server (MinIO, Ceph, R2…); omit for AWS.',
    example: 'https://s3.example.com',
  })
  @IsOptional()
  @IsUrl(URL_OPTS)
  @MaxLength(500)
  endpoint?: string;
  @ApiPropertyOptional({ default: 'us-east-1', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  region?: string;
  @ApiProperty({ minLength: 3, maxLength: 63 })
  @IsString()
  @MinLength(3)
  @MaxLength(63)
  @Matches(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, { message: 'bucket must be a valid S3 bucket name' })
  bucket: string;
  @ApiPropertyOptional({
    description: 'Path-style addressing. Default: true with a custom endpoint, false for AWS.',
  })
  @IsOptional()
  @IsBoolean()
  pathStyle?: boolean;
  @ApiPropertyOptional({
    description:
      'Verify the TLS certificate of the endpoint. Default true; turn off only for test servers.',
    default: true,
  })
  @IsOptional()
  @IsBoolean()
  verifyTls?: boolean;
  @ApiPropertyOptional({ description: 'Key prefix inside the bucket.', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(PREFIX, { message: PREFIX_MSG })
  prefix?: string;
  @ApiProperty({ description: 'Access key id (credential).', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  accessKeyId: string;
  @ApiProperty({ description: 'Secret access key (credential).', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  secretAccessKey: string;
  @ApiPropertyOptional({
    description: 'Session token for temporary credentials (credential).',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  sessionToken?: string;
}

/**
 * An Azure Blob container. Give an account URL with an account key or a SAS token, or a connection
 * string. `connectionString`, `accountKey` and `sasToken` are credentials: stored encrypted, never returned.
 */
export class AzureSettingsDto {
  @ApiPropertyOptional({
    description:
      'Account URL, e.g. https://acct.blob.core.windows.net; optional with a connection string.',
  })
  @IsOptional()
  @IsUrl(URL_OPTS)
  @MaxLength(500)
  accountUrl?: string;
  @ApiProperty({ minLength: 3, maxLength: 63 })
  @IsString()
  @MinLength(3)
  @MaxLength(63)
  @Matches(/^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/, {
    message: 'container must be a valid Azure container name',
  })
  container: string;
  @ApiPropertyOptional({
    description: 'Account name, when the account URL does not name it (emulators, custom domains).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  accountName?: string;
  @ApiPropertyOptional({ description: 'Key prefix inside the container.', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(PREFIX, { message: PREFIX_MSG })
  prefix?: string;
  @ApiPropertyOptional({ description: 'Connection string (credential).', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  connectionString?: string;
  @ApiPropertyOptional({ description: 'Account key (credential).', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  accountKey?: string;
  @ApiPropertyOptional({
    description: 'Container or account SAS token (credential). Signed URLs then expire with it.',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  sasToken?: string;
}

/** Changes to an S3 backend: omitted fields (credentials included) keep their stored value. */
export class S3SettingsUpdateDto extends PartialType(S3SettingsDto) {}
/** Changes to an Azure backend: omitted fields (credentials included) keep their stored value. */
export class AzureSettingsUpdateDto extends PartialType(AzureSettingsDto) {}

/** A storage configuration to test before saving it. */
export class StorageBackendTestDto {
  @ApiProperty({ enum: ['s3', 'azure'] }) @IsIn(['s3', 'azure']) kind: 's3' | 'azure';
  @ApiPropertyOptional({ type: S3SettingsDto, description: 'Required when kind is s3.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => S3SettingsDto)
  s3?: S3SettingsDto;
  @ApiPropertyOptional({ type: AzureSettingsDto, description: 'Required when kind is azure.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AzureSettingsDto)
  azure?: AzureSettingsDto;
}

/** A new S3 or Azure backend (the local-disk backend is built in, one per organization). */
export class StorageBackendCreateDto extends StorageBackendTestDto {
  @ApiProperty({ maxLength: 100, example: 'models-bucket' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name: string;
}

export class StorageBackendUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name?: string;
  @ApiPropertyOptional({ type: S3SettingsUpdateDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => S3SettingsUpdateDto)
  s3?: S3SettingsUpdateDto;
  @ApiPropertyOptional({ type: AzureSettingsUpdateDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AzureSettingsUpdateDto)
  azure?: AzureSettingsUpdateDto;
}

export class StorageBackendResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['local', 's3', 'azure'] }) kind: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Non-secret settings: s3 {endpoint, region, bucket, pathStyle, verifyTls, prefix}; azure {accountUrl, container, accountName, prefix}; local {}.',
  })
  settings: Record<string, unknown>;
  @ApiProperty({
    type: [String],
    description: 'Which credential fields are stored (their values are never returned).',
    example: ['accessKeyId', 'secretAccessKey'],
  })
  credentialFields: string[];
  @ApiProperty({ description: 'Orbits bound to this backend; a backend in use cannot be deleted.' })
  orbitsCount: number;
  @ApiProperty({ description: 'True for the embedded local-disk backend of the organization.' })
  builtIn: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ConnectionCheckDto {
  @ApiProperty({ enum: ['list', 'write', 'read', 'delete'] }) step: string;
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({
    description:
      'Why the step failed, e.g. "the secret key does not match the access key (SignatureDoesNotMatch, HTTP 403)".',
  })
  error?: string;
  @ApiProperty({ description: 'Duration, milliseconds.' }) ms: number;
}

/** list → write → read → delete of a small probe object; stops at the first failing step. */
export class StorageConnectionTestResponseDto {
  @ApiProperty({ description: 'True when every step passed.' }) ok: boolean;
  @ApiPropertyOptional({
    enum: ['list', 'write', 'read', 'delete'],
    description: 'The first step that failed.',
  })
  failedStep?: string;
  @ApiProperty({ type: [ConnectionCheckDto] }) checks: ConnectionCheckDto[];
}
