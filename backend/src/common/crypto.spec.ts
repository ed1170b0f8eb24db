import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, hashPassword, hashToken, verifyPassword } from './crypto.js';

describe('crypto', () => {
  it('round-trips AES-256-GCM and rejects a tampered ciphertext', () => {
    const key = randomBytes(32);
    const sealed = encrypt('s3cr3t', key);
    expect(sealed).not.toContain('s3cr3t');
    expect(decrypt(sealed, key)).toBe('s3cr3t');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3]!, 'base64url').toString()).toString(
      'base64url',
    );
    expect(() => decrypt(parts.join('.'), key)).toThrow();
    expect(() => decrypt(sealed, randomBytes(32))).toThrow();
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct hors', stored)).toBe(false);
  });

  it('hashes tokens deterministically per key', () => {
    const k = randomBytes(32);
    expect(hashToken('apg_x', k)).toBe(hashToken('apg_x', k));
    expect(hashToken('apg_x', k)).not.toBe(hashToken('apg_x', randomBytes(32)));
  });
});
