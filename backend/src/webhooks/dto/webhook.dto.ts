import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

/** Events a webhook may subscribe to. */
export const WEBHOOK_EVENTS = [
  'artifact.uploaded',
  'track.version_added',
  'track.alias_moved',
  'deployment.status_changed',
  'model.loaded',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What "send test" delivers; never subscribable. */
export type DeliveredEvent = WebhookEvent | 'webhook.test';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;

export class WebhookCreateDto {
  @ApiProperty({ maxLength: 100, example: 'ci-notify' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, {
    message:
      'name must start with a letter or digit and contain only letters, digits, spaces and . _ -',
  })
  name: string;
  @ApiProperty({
    maxLength: 2000,
    description:
      'http(s) URL receiving POSTs. Loopback and private addresses are refused unless allowed.',
  })
  @IsString()
  @MaxLength(2000)
  url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events: WebhookEvent[];
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

export class WebhookUpdateDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME, {
    message:
      'name must start with a letter or digit and contain only letters, digits, spaces and . _ -',
  })
  name?: string;
  @ApiPropertyOptional({ maxLength: 2000 }) @IsOptional() @IsString() @MaxLength(2000) url?: string;
  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events?: WebhookEvent[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
}

export class WebhookResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() orbitId: string;
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true }) events: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class WebhookCreatedResponseDto extends WebhookResponseDto {
  @ApiProperty({
    description: 'Signing secret (`whsec_…`). Shown only in this response: store it now.',
  })
  secret: string;
}

export class WebhookSecretResponseDto {
  @ApiProperty({
    description: 'The new signing secret, shown once; the old one stops signing at once.',
  })
  secret: string;
}

export class WebhookDeliveryAttemptDto {
  @ApiProperty() attempt: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'HTTP status the receiver answered; null when no response arrived.',
  })
  statusCode: number | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ description: 'Milliseconds from sending to the response (or the failure).' })
  latencyMs: number;
  @ApiProperty() createdAt: string;
}

export class WebhookDeliveryResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() webhookId: string;
  @ApiProperty() event: string;
  @ApiProperty({ enum: ['pending', 'delivering', 'succeeded', 'failed'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty() maxAttempts: number;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String }) deliveredAt: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The body that is (re)sent, signed.',
  })
  payload: Record<string, unknown>;
  @ApiProperty({ type: [WebhookDeliveryAttemptDto] }) attemptLog: WebhookDeliveryAttemptDto[];
  @ApiProperty() createdAt: string;
}

export class WebhookSettingsDto {
  @ApiProperty({
    description:
      'Allow webhooks of this organization to reach loopback and private-range addresses.',
  })
  @IsBoolean()
  allowPrivateNetworks: boolean;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryResponseDto] }) items: WebhookDeliveryResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
