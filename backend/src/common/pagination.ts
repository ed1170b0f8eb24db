import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailed } from './errors.js';

/** `?cursor=&limit=` on every list route. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s `nextCursor`.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  cursor?: string;

  @ApiPropertyOptional({
    description: 'Page size, 1–200. Default 50.',
    minimum: 1,
    maximum: 200,
    default: 50,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

/** A page of results; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Cursors are base64url JSON bound to the query that produced them (`scope`), so a cursor from
 * one filter/sort cannot be replayed against another.
 */
export function encodeCursor(scope: string, values: unknown[]): string {
  return Buffer.from(JSON.stringify({ s: scope, v: values })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, scope: string): unknown[] | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      v?: unknown;
    };
    if (parsed.s !== scope || !Array.isArray(parsed.v)) throw new Error('scope');
    return parsed.v;
  } catch {
    throw new ValidationFailed('Invalid cursor for this query', [
      { field: 'cursor', problems: ['cursor does not belong to this query'] },
    ]);
  }
}
