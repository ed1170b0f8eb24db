import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsTags } from '../../collections/dto/tags.validator.js';

/** Environment-variable style: upper-case letters, digits and `_`, not starting with a digit. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Largest secret value, bytes of UTF-8. */
export const MAX_SECRET_BYTES = 64 * 1024;

export class OrbitSecretCreateDto {
  @ApiProperty({ maxLength: 128, example: 'HF_TOKEN', pattern: SECRET_NAME.source })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(SECRET_NAME, {
    message:
      'name must look like an environment variable: A-Z, 0-9 and _, not starting with a digit',
  })
  name: string;
  @ApiProperty({
    description: 'The secret, at most 64 KiB of UTF-8. Stored encrypted; never listed.',
  })
  @IsString()
  @MaxLength(MAX_SECRET_BYTES)
  value: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50 }) @IsOptional() @IsTags() tags?: string[];
}

export class OrbitSecretUpdateDto {
  @ApiPropertyOptional({ description: 'A new value, at most 64 KiB of UTF-8.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SECRET_BYTES)
  value?: string;
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 50 }) @IsOptional() @IsTags() tags?: string[];
}

/** A secret's metadata; the value is only ever returned by `GET …/secrets/{id}/value`. */
export class OrbitSecretResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ nullable: true, type: String }) createdBy: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class OrbitSecretValueDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() value: string;
}
