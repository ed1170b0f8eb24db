import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export const SEARCH_HIT_TYPES = ['track', 'alias', 'tag', 'metric', 'artifact'] as const;

export class SearchQueryDto {
  @ApiProperty({ minLength: 1, maxLength: 200, description: 'Case-insensitive substring.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 20, description: 'Hits per type.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;
}

export class SearchHitDto {
  @ApiProperty({ enum: SEARCH_HIT_TYPES }) type: (typeof SEARCH_HIT_TYPES)[number];
  @ApiProperty({
    description: 'What matched: a track or artifact name, an alias, a tag, a metric key.',
  })
  label: string;
  @ApiProperty({ nullable: true, type: String }) trackId: string | null;
  @ApiProperty({ nullable: true, type: String }) artifactId: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'For alias hits: the version it holds.',
  })
  version: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Context: the track of an alias, the value of a metric, how many carry a tag.',
  })
  detail: string | null;
}

export class SearchResponseDto {
  @ApiProperty() q: string;
  @ApiProperty({ type: [SearchHitDto] }) hits: SearchHitDto[];
}
