import { describe, expect, it } from 'vitest';
import { writeTinyGguf, writeTinyOnnx } from '@apogee/satellite/testing';

describe('@apogee/satellite/testing', () => {
  it('resolves for other packages’ tests without a build', () => {
    expect(typeof writeTinyOnnx).toBe('function');
    expect(typeof writeTinyGguf).toBe('function');
  });
});
