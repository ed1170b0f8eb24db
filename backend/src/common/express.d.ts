import type { RequestContext } from './auth/principal.js';

declare module 'express-serve-static-core' {
  interface Request {
    id?: string;
    apogee?: RequestContext;
  }
}
declare module 'http' {
  interface IncomingMessage {
    id?: string | number | object;
  }
}
