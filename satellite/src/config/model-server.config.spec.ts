import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { flagsToEnv, readModelServerConfig } from './model-server.config.js';

describe('readModelServerConfig', () => {
  it('takes CLI flags over environment variables', () => {
    const config = readModelServerConfig({ APOGEE_MODEL_SERVER_PORT: '9000' }, [
      '--model',
      '/m/x.onnx',
      '--port=9100',
    ]);
    expect(config).toMatchObject({
      modelPath: '/m/x.onnx',
      format: 'onnx',
      port: 9100,
      modelId: 'x',
      host: '127.0.0.1',
    });
  });

  it('infers the format from the extension and applies defaults', () => {
    const config = readModelServerConfig({ APOGEE_MODEL_PATH: '/m/llm.gguf' });
    expect(config).toMatchObject({
      format: 'gguf',
      port: 8080,
      llamaParallel: 1,
      llamaGpu: 'auto',
      defaultMaxTokens: 512,
    });
  });

  it('requires a format when the extension does not tell it', () => {
    expect(() => readModelServerConfig({}, ['--model', '/m/model.bin'])).toThrow(
      /APOGEE_MODEL_FORMAT/,
    );
    expect(readModelServerConfig({}, ['--model', '/m/model.bin', '--format', 'gguf']).format).toBe(
      'gguf',
    );
  });

  it('names the variable of an invalid value', () => {
    expect(() =>
      readModelServerConfig({ APOGEE_MODEL_SERVER_PORT: 'eighty' }, ['--model', 'a.onnx']),
    ).toThrow(/APOGEE_MODEL_SERVER_PORT: expected an integer/);
    expect(() => readModelServerConfig({}, ['--model', 'a.onnx', '--gpu', 'tpu'])).toThrow(
      ConfigError,
    );
  });

  it('requires the model path', () => {
    expect(() => readModelServerConfig({})).toThrow(/APOGEE_MODEL_PATH/);
  });

  it('rejects unknown flags and flags without a value', () => {
    expect(() => flagsToEnv(['--modle', 'x'])).toThrow(/unknown flag/);
    expect(() => flagsToEnv(['--port'])).toThrow(/missing value/);
  });
});
