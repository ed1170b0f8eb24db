import { Controller, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/auth/decorators.js';
import {
  RangeNotSatisfiable,
  SignedUrlInvalid,
  StorageObjectNotFound,
  UploadSizeMismatch,
} from './storage-errors.js';
import { StorageDriversService } from './storage-drivers.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Serves the local-disk backend's signed URLs. Public: the HMAC-signed token is the credential and
 * allows exactly one operation on one key until it expires. Bodies stream between socket and disk.
 */
@ApiExcludeController()
@Public()
@Controller('v1/storage/local')
export class LocalStorageController {
  constructor(private readonly drivers: StorageDriversService) {}

  @Put(':token')
  @HttpCode(200)
  async put(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const grant = this.drivers.signer.verify(token);
    if ((grant.op !== 'put' && grant.op !== 'part') || !UUID.test(grant.b))
      throw new SignedUrlInvalid('This signed URL does not allow uploads');
    // A body parser that already consumed the stream (a JSON content type) would leave nothing to store.
    if ((req as Request & { _body?: boolean })._body)
      throw new SignedUrlInvalid('Send the upload body as application/octet-stream');
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== grant.s)
      throw new UploadSizeMismatch(grant.s ?? 0, Number(declared));
    const { etag, size } = await this.drivers.local(grant.b).receive(grant, req);
    res.setHeader('ETag', etag);
    res.status(200).json({ etag, size });
  }

  @Get(':token')
  async get(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const grant = this.drivers.signer.verify(token);
    if (grant.op !== 'get' || !UUID.test(grant.b))
      throw new SignedUrlInvalid('This signed URL does not allow downloads');
    const driver = this.drivers.local(grant.b);
    const head = await driver.head(grant.k);
    if (!head) throw new StorageObjectNotFound(grant.k);
    const range = parseRange(req.headers.range, head.size);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'private, no-store');
    if (grant.f) res.setHeader('Content-Disposition', contentDisposition(grant.f));
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${head.size}`);
      throw new RangeNotSatisfiable(head.size);
    }
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${head.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(head.size));
    }
    if (req.method === 'HEAD' || head.size === 0) {
      res.end();
      return;
    }
    const body = await driver.read(grant.k, range ?? undefined);
    body.on('error', () => res.destroy());
    res.on('close', () => body.destroy());
    body.pipe(res);
  }
}

/** One `bytes=` range (the first, if several are asked for); null means the whole object. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)(?:,|$)/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
