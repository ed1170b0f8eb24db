import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';

export const LINEAGE_RELATIONS = ['dataset', 'base_model', 'parent_checkpoint', 'other'] as const;
export type LineageRelation = (typeof LINEAGE_RELATIONS)[number];

export class LineageParentDto {
  @ApiProperty({ description: 'An artifact of the same orbit this one came from.' })
  @IsUUID()
  artifactId: string;
  @ApiProperty({ enum: LINEAGE_RELATIONS }) @IsIn(LINEAGE_RELATIONS) relation: LineageRelation;
}

export class LineageUpdateDto {
  @ApiPropertyOptional({
    type: [LineageParentDto],
    description: 'Replaces the parents; omit to keep them.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => LineageParentDto)
  parents?: LineageParentDto[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Free-form run information (code commit, parameters, …), ≤ 64 KB as JSON. Replaces the previous value.',
  })
  @IsOptional()
  @IsObject()
  runInfo?: Record<string, unknown>;
}

export class LineageNodeDto {
  @ApiProperty() artifactId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: LINEAGE_RELATIONS }) relation: string;
}

export class LineageResponseDto {
  @ApiProperty() artifactId: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) runInfo: Record<string, unknown>;
  @ApiProperty({ type: [LineageNodeDto], description: 'What this artifact came from.' })
  parents: LineageNodeDto[];
  @ApiProperty({
    type: [LineageNodeDto],
    description: 'What came from this artifact (relation as the child declared it).',
  })
  children: LineageNodeDto[];
}

export class ModelCardUpdateDto {
  @ApiProperty({
    maxLength: 200_000,
    description: 'Markdown. Stored as given; the dashboard renders it sanitized.',
  })
  @IsString()
  @MaxLength(200_000)
  markdown: string;
}

export class ModelCardResponseDto {
  @ApiProperty() markdown: string;
  @ApiProperty({ nullable: true, type: String }) updatedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) updatedBy: string | null;
}

/** `?ids=a,b,c` (or repeated `ids`). */
export class ArtifactCompareQueryDto {
  @ApiProperty({
    description: 'Comma-separated artifact ids, 2–20, compared in this order.',
    example: 'id1,id2',
  })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : Array.isArray(value)
        ? value.flatMap((v) => String(v).split(','))
        : value,
  )
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  ids: string[];
}

export class SchemaChangeDto {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The declaration before (JSON).' }) from: unknown;
  @ApiProperty({ description: 'The declaration after (JSON).' }) to: unknown;
}

export class SchemaDiffDto {
  @ApiProperty({ type: [String] }) added: string[];
  @ApiProperty({ type: [String] }) removed: string[];
  @ApiProperty({ type: [SchemaChangeDto] }) changed: SchemaChangeDto[];
}

export class CompareItemDto {
  @ApiProperty() artifactId: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Track version number when comparing a track.',
  })
  version: number | null;
  @ApiProperty() name: string;
  @ApiProperty() format: string;
  @ApiProperty() fileName: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) metrics: Record<string, unknown>;
  @ApiProperty() createdAt: string;
}

export class CompareMetricDto {
  @ApiProperty() key: string;
  @ApiProperty({ type: 'array', items: {}, description: 'One value per item, null where absent.' })
  values: (number | string | boolean | null)[];
}

export class MetricChangeDto {
  @ApiProperty() key: string;
  @ApiProperty({ nullable: true }) from: number | string | boolean | null;
  @ApiProperty({ nullable: true }) to: number | string | boolean | null;
  @ApiProperty({ nullable: true, type: Number }) delta: number | null;
}

export class MetricsDiffDto {
  @ApiProperty({ type: [String] }) added: string[];
  @ApiProperty({ type: [String] }) removed: string[];
  @ApiProperty({ type: [MetricChangeDto] }) changed: MetricChangeDto[];
}

export class TagsDiffDto {
  @ApiProperty({ type: [String] }) added: string[];
  @ApiProperty({ type: [String] }) removed: string[];
}

export class FileFactsDto {
  @ApiProperty() fileName: string;
  @ApiProperty() size: number;
  @ApiProperty() sha256: string;
}

export class FilesDiffDto {
  @ApiProperty({ type: FileFactsDto }) from: FileFactsDto;
  @ApiProperty({ type: FileFactsDto }) to: FileFactsDto;
  @ApiProperty() fileNameChanged: boolean;
  @ApiProperty({ description: 'sha256 differs.' }) contentChanged: boolean;
  @ApiProperty({ description: 'Bytes, to − from.' }) sizeDelta: number;
}

export class CompareDiffDto {
  @ApiProperty() fromArtifactId: string;
  @ApiProperty() toArtifactId: string;
  @ApiProperty({ nullable: true, type: Number }) fromVersion: number | null;
  @ApiProperty({ nullable: true, type: Number }) toVersion: number | null;
  @ApiProperty({ type: SchemaDiffDto }) inputs: SchemaDiffDto;
  @ApiProperty({ type: SchemaDiffDto }) outputs: SchemaDiffDto;
  @ApiProperty({ type: TagsDiffDto }) tags: TagsDiffDto;
  @ApiProperty({ type: MetricsDiffDto }) metrics: MetricsDiffDto;
  @ApiProperty({ type: FilesDiffDto }) files: FilesDiffDto;
}

export class TrendPointDto {
  @ApiProperty() version: number;
  @ApiProperty() value: number;
}

export class MetricTrendDto {
  @ApiProperty() key: string;
  @ApiProperty({
    type: [TrendPointDto],
    description: 'Numeric values across every version of the track, oldest first.',
  })
  points: TrendPointDto[];
}

export class CompareResponseDto {
  @ApiProperty({ type: [CompareItemDto] }) items: CompareItemDto[];
  @ApiProperty({ type: [CompareMetricDto], description: 'Every metric key, side by side.' })
  metrics: CompareMetricDto[];
  @ApiProperty({ type: [CompareDiffDto], description: 'Differences between consecutive items.' })
  diffs: CompareDiffDto[];
  @ApiProperty({
    type: [MetricTrendDto],
    description: 'Track comparisons only: each numeric metric across all versions.',
  })
  trend: MetricTrendDto[];
}
