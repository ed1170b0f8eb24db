import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._'()-]*$/u;
const NAME_MSG =
  "name must start with a letter or digit and contain only letters, digits, spaces and . _ ' ( ) -";

export class OrganizationCreateDto {
  @ApiProperty({ maxLength: 100, example: 'Acme ML' })
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
}

export class OrganizationUpdateDto {
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
}

/** `resource → actions` the caller may perform; clients hide what is not listed. */
export const PERMISSIONS_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: {
    type: 'array',
    items: {
      type: 'string',
      enum: ['list', 'read', 'create', 'update', 'delete', 'reveal', 'deploy'],
    },
  },
  example: { organization: ['read'], orbit: ['list', 'read'] },
};

export class OrganizationResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'], description: "The caller's role." })
  role: string;
  @ApiProperty(PERMISSIONS_SCHEMA) permissions: Record<string, string[]>;
  @ApiProperty() membersCount: number;
  @ApiProperty() orbitsCount: number;
  @ApiProperty() createdAt: string;
}

export class MemberResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() userId: string;
  @ApiProperty() email: string;
  @ApiProperty() fullName: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'] }) role: string;
  @ApiProperty() createdAt: string;
}

export class MemberUpdateDto {
  @ApiProperty({ enum: ['owner', 'admin', 'member'] }) @IsIn(['owner', 'admin', 'member']) role:
    'owner' | 'admin' | 'member';
}

export class InvitationCreateDto {
  @ApiProperty() @IsEmail() @MaxLength(320) email: string;
  @ApiProperty({ enum: ['admin', 'member'] }) @IsIn(['admin', 'member']) role: 'admin' | 'member';
}

export class InvitationResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role: string;
  @ApiProperty({ nullable: true, type: String, description: 'Email of who invited.' }) invitedBy:
    string | null;
  @ApiProperty({
    description:
      'Link to send to the invitee; they accept it while signed in with the invited email.',
  })
  link: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty() createdAt: string;
}
