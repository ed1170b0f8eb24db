/**
 * Model generators for tests across the repository: every test makes its own models (there is no
 * network to download any). Import from `@apogee/satellite/testing`.
 */
export {
  writeTinyOnnx,
  encodeTinyOnnx,
  tinyLinearReference,
  TINY_LINEAR,
  type TinyOnnxKind,
} from './tiny-onnx.js';
export {
  writeTinyGguf,
  tinyLlamaVocabulary,
  TINY_LLAMA,
  type TinyGgufOptions,
} from './tiny-gguf.js';
export { writeTinyLoraGguf, type TinyLoraOptions } from './tiny-lora.js';
export {
  encodeGguf,
  writeGguf,
  GgufType,
  type GgufMetadataValue,
  type GgufTensor,
} from './gguf-writer.js';
