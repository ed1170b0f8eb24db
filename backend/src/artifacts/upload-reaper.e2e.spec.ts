import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { signupUser } from '../testing/http.js';
import { put, registry } from './registry-fixtures.js';
import { ArtifactsService } from './artifacts.service.js';

const MIB = 1024 * 1024;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    APOGEE_MULTIPART_THRESHOLD: String(6 * MIB),
    APOGEE_PART_SIZE: String(5 * MIB),
    APOGEE_UPLOAD_SWEEP_INTERVAL: '0',
  });
});
afterAll(async () => t?.close());

describe('abandoned uploads', () => {
  it('fails uploads older than the expiry, frees their stored parts and leaves recent ones alone', async () => {
    const u = await signupUser(t.baseURL, 'reaper@example.com');
    const reg = registry(u.client, u.org.id, u.orbit.id);
    const col = await reg.collection();
    const bytes = randomBytes(12 * MIB);
    const old = await reg.create(col.id, bytes, { fileName: 'old.bin' });
    const parts = await u.client.post(
      `${reg.base}/artifacts/${old.body.artifact.id}/upload/parts`,
      { partNumbers: [1] },
    );
    expect(
      (await put(parts.body.parts[0].url, bytes.subarray(0, 5 * MIB), parts.body.parts[0].headers))
        .status,
    ).toBe(200);
    const recent = await reg.create(col.id, randomBytes(10), { fileName: 'recent.bin' });
    const db = t.app.get<DataSource>(getDataSourceToken());
    await db.query(`UPDATE artifacts SET created_at = now() - interval '2 days' WHERE id = $1`, [
      old.body.artifact.id,
    ]);
    const uploadDirBefore = fs
      .readdirSync(t.config.storageDir, { recursive: true })
      .filter((f) => String(f).endsWith('.part'));
    expect(uploadDirBefore.length).toBe(1);

    const n = await t.app
      .get(ArtifactsService)
      .reapAbandonedUploads(new Date(Date.now() - 24 * 3600_000), 100);
    expect(n).toBe(1);
    const gone = await u.client.get(`${reg.base}/artifacts/${old.body.artifact.id}`);
    expect(gone.body).toMatchObject({
      status: 'upload_failed',
      statusReason: expect.stringContaining('abandoned'),
    });
    expect(
      (await u.client.get(`${reg.base}/artifacts/${recent.body.artifact.id}`)).body.status,
    ).toBe('pending_upload');
    expect(
      fs
        .readdirSync(t.config.storageDir, { recursive: true })
        .filter((f) => String(f).endsWith('.part')),
    ).toEqual([]);
    const audit = await u.client.get(
      `/v1/organizations/${u.org.id}/audit-events?action=artifact.upload_expired`,
    );
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].actorType).toBe('system');
  });
});
