import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local servers speaking the Hugging Face Hub and Ollama registry HTTP protocols, serving files a
 * test generated (there is no network here). Reusable by any test that loads models.
 */

export interface HubFile {
  /** Bytes of the file. */
  data: Buffer;
  /** Served as an LFS file (size + sha256 in the file list), like model weights. Default true for > 1 KiB. */
  lfs?: boolean;
}

export interface HubRequest {
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
}

export interface HubServer {
  url: string;
  /** Every request received, in order. */
  requests: HubRequest[];
  /** Slows file bodies down (bytes per second, 0 = full speed); takes effect for the next request. */
  throttle(bytesPerSec: number): void;
  close(): Promise<void>;
}

export interface HfServerOptions {
  /** `org/repo` → revision (`main` by default) → file path → file. */
  repos: Record<string, Record<string, HubFile>>;
  /** When set, every request must carry `Authorization: Bearer <token>` (a gated repo). */
  token?: string;
}

/**
 * The Hugging Face Hub: `GET /api/models/{repo}[/revision/{rev}]` (siblings with sizes and LFS
 * sha256) and `GET /{repo}/resolve/{rev}/{file}` with Range.
 */
export async function startHfServer(opts: HfServerOptions): Promise<HubServer> {
  return serve(async (req, res, ctl) => {
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`)
      return json(res, 401, { error: 'Invalid credentials in Authorization header' });
    const u = new URL(req.url!, 'http://x');
    let m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(u.pathname);
    if (m) {
      const repo = opts.repos[m[1]!];
      const rev = decodeURIComponent(m[2] ?? 'main');
      if (!repo || rev !== 'main') return json(res, 404, { error: 'Repository not found' });
      return json(res, 200, {
        id: m[1],
        modelId: m[1],
        sha: createHash('sha1').update(m[1]!).digest('hex'),
        siblings: Object.entries(repo).map(([name, f]) => {
          const lfs = f.lfs ?? f.data.length > 1024;
          return {
            rfilename: name,
            size: f.data.length,
            ...(lfs
              ? { lfs: { sha256: sha256(f.data), size: f.data.length, pointerSize: 134 } }
              : {}),
          };
        }),
      });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (m) {
      const file = opts.repos[m[1]!]?.[decodeURIComponent(m[3]!)];
      if (!file || m[2] !== 'main') return json(res, 404, { error: 'Entry not found' });
      return sendFile(req, res, file.data, ctl.rate);
    }
    json(res, 404, { error: 'Not found' });
  });
}

export interface OllamaModel {
  /** The GGUF weights (the `application/vnd.ollama.image.model` layer). */
  model: Buffer;
  /** Other layers: media type → bytes (template, params, license). */
  layers?: Record<string, Buffer>;
}

/**
 * An Ollama registry: `GET /v2/{ns}/{name}/manifests/{tag}` and `GET /v2/{ns}/{name}/blobs/{digest}`
 * (Range), namespace `library` for bare names.
 */
export async function startOllamaRegistry(models: Record<string, OllamaModel>): Promise<HubServer> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, string>();
  for (const [ref, m] of Object.entries(models)) {
    const [name, tag] = ref.split(':') as [string, string];
    const repo = name.includes('/') ? name : `library/${name}`;
    const layer = (mediaType: string, data: Buffer) => {
      const digest = `sha256:${sha256(data)}`;
      blobs.set(digest, data);
      return { mediaType, digest, size: data.length };
    };
    const config = Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: 'llama' }));
    manifests.set(
      `${repo}:${tag}`,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: layer('application/vnd.docker.container.image.v1+json', config),
        layers: [
          layer('application/vnd.ollama.image.model', m.model),
          ...Object.entries(m.layers ?? {}).map(([t, d]) => layer(t, d)),
        ],
      }),
    );
  }
  return serve(async (req, res, ctl) => {
    const u = new URL(req.url!, 'http://x');
    let m = /^\/v2\/([^/]+\/[^/]+)\/manifests\/([^/]+)$/.exec(u.pathname);
    if (m) {
      const manifest = manifests.get(`${m[1]}:${decodeURIComponent(m[2]!)}`);
      if (!manifest)
        return json(res, 404, {
          errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }],
        });
      res.writeHead(200, {
        'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
        'content-length': Buffer.byteLength(manifest),
      });
      return void res.end(manifest);
    }
    m = /^\/v2\/([^/]+\/[^/]+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(u.pathname);
    if (m) {
      const blob = blobs.get(m[2]!);
      if (!blob)
        return json(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] });
      return sendFile(req, res, blob, ctl.rate);
    }
    json(res, 404, {
      errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }],
    });
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctl: { rate: number },
) => Promise<void>;

async function serve(handler: Handler): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const ctl = { rate: 0 };
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '',
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
    });
    handler(req, res, ctl).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    throttle(bytesPerSec: number) {
      ctl.rate = bytesPerSec;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a file (or the `Range: bytes=a-[b]` slice of it), optionally throttled. */
async function sendFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  data: Buffer,
  rate: number,
): Promise<void> {
  let start = 0;
  let end = data.length - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]), end) : end;
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      return void res.end();
    }
    res.writeHead(206, {
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${data.length}`,
      'accept-ranges': 'bytes',
    });
  } else {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': data.length,
      'accept-ranges': 'bytes',
      etag: `"${sha256(data)}"`,
    });
  }
  const slice = data.subarray(start, end + 1);
  if (!rate) return void res.end(slice);
  const chunk = Math.max(1024, Math.floor(rate / 20));
  for (let i = 0; i < slice.length && !res.destroyed; i += chunk) {
    res.write(slice.subarray(i, i + chunk));
    await new Promise((r) => setTimeout(r, 50));
  }
  res.end();
}
