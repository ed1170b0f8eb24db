import type { Router } from './http.js';

/** A loaded model behind the model server's HTTP routes. */
export interface ModelBackend {
  readonly format: 'onnx' | 'gguf';
  /** Registers the model's routes (`/predict`, `/v1/...`). */
  register(router: Router): void;
  /** The OpenAPI document of the model's routes (served at `/schema`). */
  openApi(): Record<string, unknown>;
  /** Facts for `/healthz` (model id, inputs, context size, ...). */
  describe(): Record<string, unknown>;
  /** Releases the runtime's native resources. */
  close(): Promise<void>;
}
