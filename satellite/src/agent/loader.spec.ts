import { describe, expect, it } from 'vitest';
import { LoadRejected, detectFormats, readLoaderConfig } from './loader.js';

describe('detectFormats', () => {
  it('recognises each format from the file list', () => {
    expect(detectFormats(['model.gguf', 'README.md'])).toEqual(['gguf']);
    expect(detectFormats(['config.json', 'model.safetensors', 'tokenizer.json'])).toEqual([
      'hugging-face',
    ]);
    expect(detectFormats(['adapter_config.json', 'adapter_model.safetensors'])).toEqual([
      'hugging-face',
    ]);
    expect(detectFormats(['manifest.json', 'model.gguf', 'blobs/sha256-abc'])).toEqual([
      'ollama',
      'gguf',
    ]);
    expect(detectFormats(['llama/tensorrt_llm/config.pbtxt', 'llama/1/model.plan'])).toEqual([
      'triton',
    ]);
    expect(detectFormats(['model.onnx'])).toEqual(['onnx']);
    expect(detectFormats(['a.gguf', 'b.gguf'])).toEqual(['gguf']);
  });

  it('rejects a file list with no model in it, naming what it found', () => {
    expect(() => detectFormats(['README.md', 'notes.txt'])).toThrow(LoadRejected);
    expect(() => detectFormats(['README.md', 'notes.txt'])).toThrow(
      /No model found.*README.md, notes.txt/,
    );
    expect(() => detectFormats([])).toThrow(/no files/);
  });

  it('rejects several GGUF files beside another format', () => {
    expect(() => detectFormats(['config.json', 'a.gguf', 'b.gguf'])).toThrow(
      /Several GGUF files together with hugging-face/,
    );
  });
});

describe('readLoaderConfig', () => {
  it('defaults to the public hubs and reads HF_ENDPOINT like huggingface_hub does', () => {
    expect(readLoaderConfig({}, '/data')).toMatchObject({
      huggingFaceEndpoint: 'https://huggingface.co',
      ollamaRegistry: 'https://registry.ollama.ai',
      workDir: '/data/loads',
      parallel: 4,
    });
    expect(
      readLoaderConfig(
        { HF_ENDPOINT: 'http://127.0.0.1:9/', APOGEE_LOADER_PARALLEL: '2' },
        '/data',
      ),
    ).toMatchObject({ huggingFaceEndpoint: 'http://127.0.0.1:9', parallel: 2 });
    expect(() => readLoaderConfig({ APOGEE_LOADER_PARALLEL: '0' }, '/data')).toThrow(
      /APOGEE_LOADER_PARALLEL/,
    );
  });
});
