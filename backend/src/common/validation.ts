import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed, type FieldProblem } from './errors.js';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own: FieldProblem[] = e.constraints
      ? [{ field, problems: Object.values(e.constraints) }]
      : [];
    return own.concat(flatten(e.children ?? [], field));
  });
}

/** The global pipe: strips nothing silently — unknown fields are a 400 — and lists every bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const summary = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ');
      return new ValidationFailed(`Invalid request: ${summary}`, fields);
    },
  });
}
