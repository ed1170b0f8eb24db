import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../common/errors.js';
import {
  buildCreateOptions,
  deviceRequests,
  dockerClient,
  DockerRuntime,
  LABELS,
  type CreateContext,
} from './docker-runtime.js';
import type { DeploymentSpec } from './runtime.js';

const spec = (overrides: Partial<DeploymentSpec> = {}): DeploymentSpec => ({
  deploymentId: 'dep-1',
  modelPath: '/var/lib/apogee/models/abc/model.gguf',
  format: 'gguf',
  ...overrides,
});
const ctx = (overrides: Partial<CreateContext> = {}): CreateContext => ({
  image: 'apogee/model-server:dev',
  network: 'host',
  bindHost: '127.0.0.1',
  hostPort: 41000,
  restartPolicy: 'unless-stopped',
  startedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('buildCreateOptions', () => {
  it('labels the container, mounts the model read-only and restarts unless stopped', () => {
    const o = buildCreateOptions(spec(), ctx());
    expect(o.name).toBe('apogee-model-dep-1');
    expect(o.Image).toBe('apogee/model-server:dev');
    expect(o.Labels).toMatchObject({
      [LABELS.managed]: 'true',
      [LABELS.deployment]: 'dep-1',
      [LABELS.port]: '41000',
      [LABELS.format]: 'gguf',
    });
    expect(o.HostConfig?.Binds).toEqual([
      '/var/lib/apogee/models/abc/model.gguf:/models/model.gguf:ro',
    ]);
    expect(o.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' });
  });

  it('listens on the host port on the host network, with no port mapping', () => {
    const o = buildCreateOptions(spec(), ctx());
    expect(o.HostConfig?.NetworkMode).toBe('host');
    expect(o.HostConfig?.PortBindings).toBeUndefined();
    expect(o.Cmd).toEqual(
      expect.arrayContaining([
        '--port',
        '41000',
        '--host',
        '127.0.0.1',
        '--deployment-id',
        'dep-1',
      ]),
    );
    expect(o.Cmd?.slice(0, 4)).toEqual(['--model', '/models/model.gguf', '--format', 'gguf']);
  });

  it('publishes the container port on the bind host on other networks', () => {
    const o = buildCreateOptions(spec(), ctx({ network: 'bridge' }));
    expect(o.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(o.HostConfig?.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '41000' }],
    });
    expect(o.Cmd).toEqual(expect.arrayContaining(['--port', '8080', '--host', '0.0.0.0']));
  });

  it('sets memory and CPU limits and environment from the spec', () => {
    const o = buildCreateOptions(
      spec({ resources: { memoryBytes: 2 ** 30, cpus: 1.5 }, env: { APOGEE_LLAMA_PARALLEL: '4' } }),
      ctx(),
    );
    expect(o.HostConfig?.Memory).toBe(2 ** 30);
    expect(o.HostConfig?.NanoCpus).toBe(1_500_000_000);
    expect(o.Env).toEqual(['APOGEE_LLAMA_PARALLEL=4']);
    expect(o.HostConfig?.DeviceRequests).toBeUndefined();
  });

  it('forms GPU device requests like docker run --gpus', () => {
    expect(
      buildCreateOptions(spec({ resources: { gpus: { count: 'all' } } }), ctx()).HostConfig
        ?.DeviceRequests,
    ).toEqual([{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
    expect(deviceRequests({ count: 2 })).toEqual([
      { Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] },
    ]);
    expect(
      deviceRequests({ deviceIds: ['0', 'GPU-abc'], count: 1, capabilities: ['gpu', 'utility'] }),
    ).toEqual([
      { Driver: 'nvidia', DeviceIDs: ['0', 'GPU-abc'], Capabilities: [['gpu', 'utility']] },
    ]);
    expect(deviceRequests(undefined)).toBeUndefined();
  });

  it('uses the image a spec names', () => {
    expect(
      buildCreateOptions(spec({ image: 'ghcr.io/ggml-org/llama.cpp:server' }), ctx()).Image,
    ).toBe('ghcr.io/ggml-org/llama.cpp:server');
  });
});

describe('DockerRuntime', () => {
  it('rejects an invalid deployment id before calling the engine', async () => {
    const runtime = new DockerRuntime({ dockerHost: 'unix:///nonexistent/docker.sock' });
    await expect(runtime.start(spec({ deploymentId: '../etc' }))).rejects.toThrow(RuntimeError);
  });

  it('reports a missing engine as DockerUnavailable', async () => {
    const runtime = new DockerRuntime({ dockerHost: 'unix:///nonexistent/docker.sock' });
    await expect(runtime.list()).rejects.toMatchObject({ code: 'docker_unavailable' });
  });

  it('accepts unix and tcp DOCKER_HOST values only', () => {
    expect(() => dockerClient('unix:///var/run/docker.sock')).not.toThrow();
    expect(() => dockerClient('tcp://127.0.0.1:2375')).not.toThrow();
    expect(() => dockerClient('ssh://host')).toThrow(/Unsupported DOCKER_HOST/);
  });
});
