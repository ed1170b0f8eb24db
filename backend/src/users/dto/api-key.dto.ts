import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

export class ApiKeyCreateDto {
  @ApiProperty({ maxLength: 100, example: 'notebook' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
  @ApiPropertyOptional({ description: 'Restrict the key to one organization.' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
  @ApiPropertyOptional({ description: 'Restrict the key to one orbit (implies its organization).' })
  @IsOptional()
  @IsUUID()
  orbitId?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 expiry; omit for a key that does not expire.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({
    description: 'The first characters of the key, to recognise it.',
    example: 'apg_3kF9',
  })
  prefix: string;
  @ApiProperty({ nullable: true, type: String }) organizationId: string | null;
  @ApiProperty({ nullable: true, type: String }) orbitId: string | null;
  @ApiProperty({ nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty() createdAt: string;
}

export class ApiKeyCreatedDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The key itself. Shown only in this response; store it now.' })
  key: string;
}
