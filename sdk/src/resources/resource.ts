import type { Apogee } from '../client.js';

/** Base of every resource class: holds the client it sends requests through. */
export abstract class APIResource {
  constructor(protected readonly _client: Apogee) {}
}
