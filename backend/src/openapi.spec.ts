import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, serializeOpenApi } from './openapi.js';

describe('OpenAPI document', () => {
  it('matches the committed sdk/openapi.json (run `npm run openapi` after changing the API)', async () => {
    const committed = fs.readFileSync(new URL('../../sdk/openapi.json', import.meta.url), 'utf8');
    expect(serializeOpenApi(await generateOpenApi())).toBe(committed);
  });
});
