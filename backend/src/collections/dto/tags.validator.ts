import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsString, Matches, MaxLength } from 'class-validator';

/** A tag: letters, digits and `_ . : / = + @ -`, starting with a letter or digit, ≤ 64 characters. */
export const TAG = /^[\p{L}\p{N}][\p{L}\p{N}_.:/=+@-]{0,63}$/u;
export const MAX_TAGS = 50;

/** Validates a `tags` body field: ≤ 50 unique tags. */
export function IsTags(): PropertyDecorator {
  return applyDecorators(
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    ArrayUnique(),
    IsString({ each: true }),
    MaxLength(64, { each: true }),
    Matches(TAG, {
      each: true,
      message:
        'each tag must start with a letter or digit and contain only letters, digits and _ . : / = + @ -',
    }),
  );
}

/** A repeatable query parameter (`?tag=a&tag=b`) arrives as a string or an array: always an array. */
export const ToArray = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value));

/** `LIKE` pattern matching `s` anywhere, with its wildcards escaped. */
export function likeContains(s: string): string {
  return `%${s.replace(/[\\%_]/g, '\\$&')}%`;
}
