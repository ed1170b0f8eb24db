import { createHash, randomBytes } from 'node:crypto';
import type { Http } from '../testing/http.js';

/** Test fixtures for the registry: collections, artifacts and byte uploads through the transfer protocol. */
export function registry(client: Http, orgId: string, orbitId: string) {
  const base = `/v1/organizations/${orgId}/orbits/${orbitId}`;
  return {
    base,
    async collection(overrides: Record<string, unknown> = {}): Promise<any> {
      const r = await client.post(`${base}/collections`, {
        name: `c-${randomBytes(4).toString('hex')}`,
        type: 'model',
        ...overrides,
      });
      if (r.status !== 201) throw new Error(`collection: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    /** Creates an artifact for `bytes` (declared sha256 overridable) and returns the create answer. */
    async create(collectionId: string, bytes: Buffer, overrides: Record<string, unknown> = {}) {
      return client.post(`${base}/collections/${collectionId}/artifacts`, {
        name: 'model',
        fileName: 'model.bin',
        size: bytes.length,
        sha256: sha256(bytes),
        ...overrides,
      });
    },
    /** create → upload (single or all parts) → complete; returns the completed artifact. */
    async upload(
      collectionId: string,
      bytes: Buffer,
      overrides: Record<string, unknown> = {},
    ): Promise<any> {
      const c = await this.create(collectionId, bytes, overrides);
      if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
      const id = c.body.artifact.id as string;
      if (c.body.upload.mode === 'single') {
        await putOk(c.body.upload.url, bytes, c.body.upload.headers);
      } else {
        const { partSize, partCount } = c.body.upload;
        const s = await client.post(`${base}/artifacts/${id}/upload/parts`, {
          partNumbers: Array.from({ length: partCount }, (_, i) => i + 1),
        });
        for (const p of s.body.parts)
          await putOk(
            p.url,
            bytes.subarray((p.partNumber - 1) * partSize, p.partNumber * partSize),
            p.headers,
          );
      }
      const done = await client.post(`${base}/artifacts/${id}/complete`, {});
      if (done.status !== 200)
        throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
      return done.body;
    },
  };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** PUTs bytes to a signed URL; returns status, ETag and body. */
export async function put(
  url: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; etag: string | null; body: any }> {
  const res = await fetch(url, { method: 'PUT', body: bytes, headers });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: text ? JSON.parse(text) : null,
  };
}

export async function putOk(
  url: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<string | null> {
  const r = await put(url, bytes, headers);
  if (r.status !== 200) throw new Error(`PUT ${r.status}: ${JSON.stringify(r.body)}`);
  return r.etag;
}
