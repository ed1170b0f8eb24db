import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com' }) @IsEmail() @MaxLength(320) email: string;
  @ApiProperty({ minLength: 8, maxLength: 200 })
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password: string;
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  fullName?: string;
}

export class SigninDto {
  @ApiProperty() @IsEmail() @MaxLength(320) email: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({
    description: 'The refresh token; omit to use the httpOnly refresh cookie.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class UserResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty() fullName: string;
  @ApiProperty() isPlatformAdmin: boolean;
  @ApiProperty() createdAt: string;
}

export class SessionResponseDto {
  @ApiProperty({ description: 'Short-lived JWT access token; send as `Authorization: Bearer`.' })
  accessToken: string;
  @ApiProperty({ description: 'Access-token lifetime in seconds.' }) expiresIn: number;
  @ApiProperty({ description: 'Single-use refresh token (also set as an httpOnly cookie).' })
  refreshToken: string;
  @ApiProperty({ type: UserResponseDto }) user: UserResponseDto;
}

export class UserUpdateDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  fullName?: string;
}

export class PasswordChangeDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) currentPassword: string;
  @ApiProperty({ minLength: 8, maxLength: 200 })
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  newPassword: string;
}
