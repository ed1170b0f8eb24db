import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const KEY = 'a'.repeat(64);

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({ APOGEE_SECRET_KEY: KEY });
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBeNull();
    expect(c.publicUrl).toBe('http://localhost:8080');
  });

  it.each([
    ['PORT', 'eighty', /PORT must be an integer/],
    ['PORT', '70000', /PORT must be between/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must start with postgres/],
    ['APOGEE_SECRET_KEY', 'short', /APOGEE_SECRET_KEY must be 32 bytes/],
    ['APOGEE_SIGNUP', 'maybe', /APOGEE_SIGNUP must be true or false/],
    ['APOGEE_PUBLIC_URL', 'ftp://x', /APOGEE_PUBLIC_URL must be an http\(s\) URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['APOGEE_ADMIN_PASSWORD', 'short', /APOGEE_ADMIN_PASSWORD must be at least 8/],
  ])('stops on an invalid %s with a message naming it', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ APOGEE_SECRET_KEY: KEY, [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toMatch(message);
  });
});
