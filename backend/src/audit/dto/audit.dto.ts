import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';

export class AuditEventQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only events in this orbit.' })
  @IsOptional()
  @IsUUID()
  orbitId?: string;
  @ApiPropertyOptional({ description: 'Only events by this user.' })
  @IsOptional()
  @IsUUID()
  actorId?: string;
  @ApiPropertyOptional({
    description:
      'Action, e.g. `artifact.create`; a prefix like `artifact.` matches all artifact actions.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;
  @ApiPropertyOptional({ description: 'Resource type, e.g. `artifact`.' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  resourceType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) resourceId?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 lower bound (inclusive).' })
  @IsOptional()
  @IsISO8601()
  since?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 upper bound (exclusive).' })
  @IsOptional()
  @IsISO8601()
  until?: string;
  @ApiPropertyOptional({ enum: ['user', 'api_key', 'satellite', 'system'] })
  @IsOptional()
  @IsIn(['user', 'api_key', 'satellite', 'system'])
  actorType?: string;
}

export class AuditEventResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) organizationId: string | null;
  @ApiProperty({ nullable: true, type: String }) orbitId: string | null;
  @ApiProperty({ enum: ['user', 'api_key', 'satellite', 'system'] }) actorType: string;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
  @ApiProperty({ description: 'Email of the user, or name of the satellite.' }) actorLabel: string;
  @ApiProperty({ example: 'artifact.create' }) action: string;
  @ApiProperty({ example: 'artifact' }) resourceType: string;
  @ApiProperty({ nullable: true, type: String }) resourceId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty() createdAt: string;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventResponseDto] }) items: AuditEventResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
