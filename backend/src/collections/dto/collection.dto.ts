import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import { COLLECTION_TYPES, type CollectionType } from '../collection.entity.js';
import { IsTags } from './tags.validator.js';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const NAME_MSG =
  'name must start with a letter or digit and contain only letters, digits, spaces and . _ -';

export const COLLECTION_SORTS = ['name', 'created_at', 'updated_at', 'artifacts_count'] as const;
export type CollectionSort = (typeof COLLECTION_SORTS)[number];

export class CollectionCreateDto {
  @ApiProperty({ maxLength: 100, example: 'sentiment' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name: string;
  @ApiProperty({
    enum: COLLECTION_TYPES,
    description: 'What the collection holds; `mixed` accepts every artifact type.',
  })
  @IsIn(COLLECTION_TYPES)
  type: CollectionType;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50, example: ['nlp'] })
  @IsOptional()
  @IsTags()
  tags?: string[];
}

export class CollectionUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name?: string;
  @ApiPropertyOptional({
    enum: COLLECTION_TYPES,
    description: 'Refused while artifacts of another type are in the collection.',
  })
  @IsOptional()
  @IsIn(COLLECTION_TYPES)
  type?: CollectionType;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50 }) @IsOptional() @IsTags() tags?: string[];
}

export class CollectionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Case-insensitive match on name and description.',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
  @ApiPropertyOptional({ enum: COLLECTION_TYPES })
  @IsOptional()
  @IsIn(COLLECTION_TYPES)
  type?: CollectionType;
  @ApiPropertyOptional({ enum: COLLECTION_SORTS, default: 'created_at' })
  @IsOptional()
  @IsIn(COLLECTION_SORTS)
  sort?: CollectionSort;
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class CollectionResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: COLLECTION_TYPES }) type: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ description: 'Artifacts in the collection, whatever their status.' })
  artifactsCount: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class CollectionPageDto {
  @ApiProperty({ type: [CollectionResponseDto] }) items: CollectionResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
