/** The model server as a library: `startModelServer(readModelServerConfig(env, argv))`. */
export { startModelServer, type ModelServer } from './server.js';
export {
  readModelServerConfig,
  type ModelServerConfig,
  type ModelFormat,
} from '../config/model-server.config.js';
export type { ModelSignature, TensorSignature } from './openapi.js';
export { decodeTensor, encodeTensor, type EncodedTensor } from './tensors.js';
