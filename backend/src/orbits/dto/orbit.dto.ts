import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
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
} from 'class-validator';
import { PERMISSIONS_SCHEMA } from '../../organizations/dto/organization.dto.js';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const NAME_MSG =
  'name must start with a letter or digit and contain only letters, digits, spaces and . _ -';

export class OrbitCreateDto {
  @ApiProperty({ maxLength: 100, example: 'vision' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({
    description:
      "Storage backend for the orbit's artifacts; default: the organization's first backend.",
  })
  @IsOptional()
  @IsUUID()
  storageBackendId?: string;
  @ApiPropertyOptional({
    description: 'Largest artifact accepted, bytes; default: the server limit.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  maxArtifactBytes?: number;
}

export class OrbitUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name?: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({
    description: 'Rebind to another backend; refused while the orbit holds artifacts.',
  })
  @IsOptional()
  @IsUUID()
  storageBackendId?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  maxArtifactBytes?: number;
}

export class OrbitResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty() storageBackendId: string;
  @ApiProperty({ nullable: true, type: Number }) maxArtifactBytes: number | null;
  @ApiProperty({
    enum: ['admin', 'member'],
    nullable: true,
    type: String,
    description: "The caller's own orbit role (null for org owners/admins not listed).",
  })
  role: string | null;
  @ApiProperty(PERMISSIONS_SCHEMA) permissions: Record<string, string[]>;
  @ApiProperty() membersCount: number;
  @ApiProperty() collectionsCount: number;
  @ApiProperty() artifactsCount: number;
  @ApiProperty() createdAt: string;
}

export class OrbitMemberCreateDto {
  @ApiProperty({ description: 'A member of the organization.' }) @IsUUID() userId: string;
  @ApiProperty({ enum: ['admin', 'member'] }) @IsIn(['admin', 'member']) role: 'admin' | 'member';
}

export class OrbitMemberUpdateDto {
  @ApiProperty({ enum: ['admin', 'member'] }) @IsIn(['admin', 'member']) role: 'admin' | 'member';
}

export class OrbitMemberResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() userId: string;
  @ApiProperty() email: string;
  @ApiProperty() fullName: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role: string;
  @ApiProperty() createdAt: string;
}
