import { describe, expect, it } from 'vitest';
import { readRuntimeConfig } from '../config/runtime.config.js';
import { detectRuntime } from './factory.js';

describe('detectRuntime', () => {
  it('falls back to the process runtime when no Docker engine answers', async () => {
    const config = readRuntimeConfig({
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      APOGEE_SATELLITE_DATA_DIR: '/tmp/apogee-x',
    });
    expect((await detectRuntime(config)).kind).toBe('process');
  });
});

describe('readRuntimeConfig', () => {
  it('applies defaults and names an invalid variable', () => {
    expect(readRuntimeConfig({})).toMatchObject({
      modelServerImage: 'apogee/model-server:dev',
      dockerNetwork: 'host',
      dockerRestartPolicy: 'unless-stopped',
      stopTimeoutSec: 10,
    });
    expect(() => readRuntimeConfig({ APOGEE_DOCKER_RESTART: 'sometimes' })).toThrow(
      /APOGEE_DOCKER_RESTART/,
    );
  });
});
