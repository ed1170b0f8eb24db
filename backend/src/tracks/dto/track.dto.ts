import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
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
import { IsTags, ToArray } from '../../collections/dto/tags.validator.js';
import { PageQueryDto } from '../../common/pagination.js';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const NAME_MSG =
  'name must start with a letter or digit and contain only letters, digits, spaces and . _ -';

/** Alias names: `production`, `staging`, `canary-eu`… */
export const ALIAS = /^[a-z][a-z0-9-]{0,62}$/;
export const ALIAS_MSG =
  'an alias must start with a lowercase letter and contain only a-z, 0-9 and -, at most 63 characters';

/** Roles a rule may allow: `org:<owner|admin|member>` or `orbit:<admin|member>` (org owners/admins count as orbit admins). */
export const RULE_ROLES = [
  'org:owner',
  'org:admin',
  'org:member',
  'orbit:admin',
  'orbit:member',
] as const;
export type RuleRole = (typeof RULE_ROLES)[number];

export class TrackCreateDto {
  @ApiProperty({ maxLength: 100, example: 'fraud-detector' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name: string;
  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsTags() tags?: string[];
}

export class TrackUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  name?: string;
  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;
  @ApiPropertyOptional({ type: [String], description: 'Replaces the tags.' })
  @IsOptional()
  @IsTags()
  tags?: string[];
}

export class TrackQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Substring of the name or description.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
  @ApiPropertyOptional({ type: [String], description: 'Only tracks with every one of these tags.' })
  @IsOptional()
  @ToArray()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  tag?: string[];
}

export class TrackAliasRefDto {
  @ApiProperty() name: string;
  @ApiProperty() version: number;
}

export class TrackResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ description: 'Number of versions.' }) versionsCount: number;
  @ApiProperty({ nullable: true, type: Number }) latestVersion: number | null;
  @ApiProperty({ type: [TrackAliasRefDto] }) aliases: TrackAliasRefDto[];
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class TrackPageDto {
  @ApiProperty({ type: [TrackResponseDto] }) items: TrackResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class TrackVersionCreateDto {
  @ApiProperty({ description: 'An uploaded artifact of the same orbit.' })
  @IsUUID()
  artifactId: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class TrackVersionArtifactDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() format: string;
  @ApiProperty() fileName: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metrics: Record<string, unknown>;
  @ApiProperty({ type: [String] }) tags: string[];
}

export class TrackVersionResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() trackId: string;
  @ApiProperty({ description: '1, 2, 3… without gaps; never reused.' }) version: number;
  @ApiProperty() artifactId: string;
  @ApiProperty() note: string;
  @ApiProperty({ type: [String], description: 'Aliases this version holds.' }) aliases: string[];
  @ApiProperty({ type: TrackVersionArtifactDto }) artifact: TrackVersionArtifactDto;
  @ApiProperty({ nullable: true, type: String }) addedBy: string | null;
  @ApiProperty() createdAt: string;
}

export class TrackVersionPageDto {
  @ApiProperty({ type: [TrackVersionResponseDto] }) items: TrackVersionResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AliasMoveDto {
  @ApiProperty({ description: 'The version the alias should point at.' })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description:
      'Compare-and-set: the version the caller believes the alias holds now (null: the alias must not exist yet). When it differs, the move is refused with 409 `alias_changed` and recorded as refused.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  expectedVersion?: number | null;
  @ApiPropertyOptional({ maxLength: 2000, description: 'Why; kept in the history.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class TrackAliasResponseDto {
  @ApiProperty() name: string;
  @ApiProperty() version: number;
  @ApiProperty() versionId: string;
  @ApiProperty() artifactId: string;
  @ApiProperty({ nullable: true, type: String }) movedBy: string | null;
  @ApiProperty() movedAt: string;
}

export class AliasEventResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() alias: string;
  @ApiProperty({ nullable: true, type: Number }) fromVersion: number | null;
  @ApiProperty({ nullable: true, type: Number }) toVersion: number | null;
  @ApiProperty({ enum: ['moved', 'refused', 'removed'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String, description: 'The rule that refused the move.' })
  rule: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
  @ApiProperty() actorLabel: string;
  @ApiProperty() createdAt: string;
}

export class AliasEventPageDto {
  @ApiProperty({ type: [AliasEventResponseDto] }) items: AliasEventResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AliasEventQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this alias.' })
  @IsOptional()
  @IsString()
  @Matches(ALIAS, { message: ALIAS_MSG })
  alias?: string;
}

export class MetricRequirementDto {
  @ApiProperty({ maxLength: 200, example: 'accuracy' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  key: string;
  @ApiProperty({
    enum: ['gte', 'lte'],
    description: 'gte: the metric must be at least `threshold`; lte: at most.',
  })
  @IsIn(['gte', 'lte'])
  op: 'gte' | 'lte';
  @ApiProperty() @IsNumber({ allowNaN: false, allowInfinity: false }) threshold: number;
}

export class AliasRuleUpsertDto {
  @ApiPropertyOptional({
    enum: RULE_ROLES,
    isArray: true,
    nullable: true,
    description: 'Who may move the alias; null or omitted: anyone who may update the track.',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(RULE_ROLES.length)
  @IsIn(RULE_ROLES, { each: true })
  allowedRoles?: RuleRole[] | null;
  @ApiPropertyOptional({
    description: "The new version's manifest inputs and outputs must equal the current holder's.",
  })
  @IsOptional()
  @IsBoolean()
  requireSchemaMatch?: boolean;
  @ApiPropertyOptional({ type: [MetricRequirementDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => MetricRequirementDto)
  metrics?: MetricRequirementDto[];
}

export class AliasRuleResponseDto {
  @ApiProperty() alias: string;
  @ApiProperty({ enum: RULE_ROLES, isArray: true, nullable: true }) allowedRoles: string[] | null;
  @ApiProperty() requireSchemaMatch: boolean;
  @ApiProperty({ type: [MetricRequirementDto] }) metrics: MetricRequirementDto[];
  @ApiProperty() updatedAt: string;
}

/** `?versions=1,2,3` (omit for every version, at most 20). */
export class TrackCompareQueryDto {
  @ApiPropertyOptional({
    description: 'Comma-separated version numbers, compared in this order; default: the latest 20.',
    example: '1,2,3',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)))
      : value,
  )
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  versions?: number[];
}
