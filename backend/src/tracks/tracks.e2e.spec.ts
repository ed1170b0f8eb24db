import { randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../artifacts/registry-fixtures.js';
import { rowCounts, tableDigest } from '../testing/db-snapshot.js';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser, type Http } from '../testing/http.js';
import { TrackHooks } from './track-hooks.js';

let t: TestApp;
let db: DataSource;
let owner: Awaited<ReturnType<typeof signupUser>>;
let member: Awaited<ReturnType<typeof signupUser>>;
let ob: string;
let reg: ReturnType<typeof registry>;
let collectionId: string;

const tensor = (name: string, shape: number[]) => ({ name, elemType: 'float32', shape });
const SCHEMA_A = { inputs: [tensor('x', [1, 4])], outputs: [tensor('y', [1, 2])] };
const SCHEMA_B = {
  inputs: [tensor('x', [1, 4])],
  outputs: [tensor('y', [1, 3]), tensor('z', [1])],
};

/** Uploads a small artifact with these metrics/manifest/tags; returns its id. */
async function artifact(
  overrides: Record<string, unknown> = {},
  via = reg,
  collection = collectionId,
): Promise<string> {
  const a = await via.upload(collection, randomBytes(64), {
    name: `m-${randomBytes(3).toString('hex')}`,
    ...overrides,
  });
  return a.id as string;
}

async function track(
  name = `t-${randomBytes(3).toString('hex')}`,
  client: Http = owner.client,
): Promise<any> {
  const r = await client.post(`${ob}/tracks`, { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function addVersion(trackId: string, artifactId: string, client: Http = owner.client) {
  return client.post(`${ob}/tracks/${trackId}/versions`, { artifactId });
}

beforeAll(async () => {
  t = await startTestApp();
  db = t.app.get<DataSource>(getDataSourceToken());
  owner = await signupUser(t.baseURL, 'owner@tracks.test');
  ob = `/v1/organizations/${owner.org.id}/orbits/${owner.orbit.id}`;
  reg = registry(owner.client, owner.org.id, owner.orbit.id);
  collectionId = (await reg.collection()).id;
  // An org member who is a plain member of the orbit.
  member = await signupUser(t.baseURL, 'member@tracks.test');
  const inv = await owner.client.post(`/v1/organizations/${owner.org.id}/invitations`, {
    email: 'member@tracks.test',
    role: 'member',
  });
  expect((await member.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status).toBe(
    204,
  );
  expect(
    (await owner.client.post(`${ob}/members`, { userId: member.user.id, role: 'member' })).status,
  ).toBe(201);
}, 60_000);
afterAll(async () => t?.close());

describe('tracks', { timeout: 30_000 }, () => {
  it('creates, renames, describes, tags, lists, searches and deletes a track', async () => {
    const tr = await track('churn');
    expect(tr).toMatchObject({
      name: 'churn',
      versionsCount: 0,
      latestVersion: null,
      aliases: [],
      tags: [],
    });
    const p = await owner.client.patch(`${ob}/tracks/${tr.id}`, {
      name: 'churn-model',
      description: 'predicts churn',
      tags: ['team:growth'],
    });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      name: 'churn-model',
      description: 'predicts churn',
      tags: ['team:growth'],
    });
    expect((await owner.client.post(`${ob}/tracks`, { name: 'churn-model' })).status).toBe(409);
    const list = await owner.client.get(`${ob}/tracks?tag=team:growth`);
    expect(list.body.items.map((x: any) => x.id)).toEqual([tr.id]);
    expect(
      (await owner.client.get(`${ob}/tracks?search=CHURN`)).body.items.map((x: any) => x.id),
    ).toEqual([tr.id]);
    expect((await owner.client.delete(`${ob}/tracks/${tr.id}`)).status).toBe(204);
    expect((await owner.client.get(`${ob}/tracks/${tr.id}`)).status).toBe(404);
  });

  it('numbers versions 1, 2, 3… without gaps under concurrent adds, and keeps them immutable', async () => {
    const tr = await track();
    const ids = await Promise.all([0, 1, 2, 3, 4].map(() => artifact()));
    // Five adds race, plus a duplicate of the first that must fail without burning a number.
    const results = await Promise.all([
      ...ids.map((id) => addVersion(tr.id, id)),
      addVersion(tr.id, ids[0]!),
    ]);
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length + results.filter((r) => r.status === 409).length).toBe(6);
    expect(ok.length).toBe(5);
    expect(ok.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4, 5]);
    const next = await addVersion(tr.id, await artifact());
    expect(next.body.version).toBe(6);
    await expect(
      db.query('UPDATE track_versions SET version = 99 WHERE track_id = $1', [tr.id]),
    ).rejects.toThrow(/immutable/);
    const versions = await owner.client.get(`${ob}/tracks/${tr.id}/versions?limit=4`);
    expect(versions.body.items.map((v: any) => v.version)).toEqual([6, 5, 4, 3]);
    const rest = await owner.client.get(
      `${ob}/tracks/${tr.id}/versions?limit=4&cursor=${versions.body.nextCursor}`,
    );
    expect(rest.body.items.map((v: any) => v.version)).toEqual([2, 1]);
    // An artifact that is a version cannot be deleted.
    const del = await owner.client.delete(`${ob}/artifacts/${ids[0]}`);
    expect(del.status).toBe(409);
  });

  it('lets exactly one of two concurrent alias moves win, records both outcomes, and never gives an alias two versions', async () => {
    const tr = await track();
    for (const id of [await artifact(), await artifact(), await artifact()])
      expect((await addVersion(tr.id, id)).status).toBe(201);
    expect(
      (
        await owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
          version: 1,
          expectedVersion: null,
        })
      ).status,
    ).toBe(200);
    const [a, b] = await Promise.all([
      owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
        version: 2,
        expectedVersion: 1,
      }),
      member.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
        version: 3,
        expectedVersion: 1,
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.body).toMatchObject({
      code: 'alias_changed',
      details: { rule: 'expectedVersion' },
    });
    const aliases = await owner.client.get(`${ob}/tracks/${tr.id}/aliases`);
    expect(aliases.body).toEqual([
      expect.objectContaining({ name: 'production', version: winner.body.version }),
    ]);
    const hist = await owner.client.get(`${ob}/tracks/${tr.id}/alias-history?alias=production`);
    const outcomes = hist.body.items.map((e: any) => [e.outcome, e.fromVersion, e.toVersion]);
    expect(outcomes).toHaveLength(3);
    expect(outcomes).toContainEqual(['moved', null, 1]);
    expect(outcomes).toContainEqual(['moved', 1, winner.body.version]);
    expect(outcomes).toContainEqual(['refused', winner.body.version, loser === a ? 2 : 3]);
    expect(hist.body.items.find((e: any) => e.outcome === 'refused')).toMatchObject({
      rule: 'expectedVersion',
      actorLabel: expect.stringContaining('@tracks.test'),
    });
    const dup = await db.query(
      'SELECT track_id, name, count(*)::int AS n FROM track_aliases GROUP BY 1, 2 HAVING count(*) > 1',
    );
    expect(dup).toEqual([]);
    // Without expectedVersion, serialized moves all apply, each recorded with its predecessor.
    await Promise.all(
      [1, 2, 3].map((v) =>
        owner.client.put(`${ob}/tracks/${tr.id}/aliases/staging`, { version: v }),
      ),
    );
    const staged = (
      await owner.client.get(`${ob}/tracks/${tr.id}/alias-history?alias=staging`)
    ).body.items.reverse();
    expect(staged.map((e: any) => e.fromVersion)).toEqual([
      null,
      staged[0].toVersion,
      staged[1].toVersion,
    ]);
    // Removal is recorded too.
    expect((await owner.client.delete(`${ob}/tracks/${tr.id}/aliases/staging`)).status).toBe(204);
    expect(
      (await owner.client.get(`${ob}/tracks/${tr.id}/alias-history?alias=staging&limit=1`)).body
        .items[0].outcome,
    ).toBe('removed');
  });

  it('refuses alias moves that break a rule, naming the rule, and records the refusal', async () => {
    const tr = await track();
    const v1 = await artifact({ metrics: { accuracy: 0.95 }, manifest: SCHEMA_A });
    const v2 = await artifact({ metrics: { accuracy: 0.7 }, manifest: SCHEMA_A });
    const v3 = await artifact({ metrics: { accuracy: 0.97 }, manifest: SCHEMA_B });
    const v4 = await artifact({ metrics: { accuracy: 0.96 }, manifest: SCHEMA_A });
    for (const id of [v1, v2, v3, v4]) await addVersion(tr.id, id);
    const rule = await owner.client.put(`${ob}/tracks/${tr.id}/alias-rules/production`, {
      allowedRoles: ['orbit:admin'],
      requireSchemaMatch: true,
      metrics: [{ key: 'accuracy', op: 'gte', threshold: 0.9 }],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(200);
    expect(
      (
        await member.client.put(`${ob}/tracks/${tr.id}/alias-rules/production`, {
          allowedRoles: null,
        })
      ).status,
    ).toBe(403);
    expect(
      (await owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, { version: 1 })).status,
    ).toBe(200);

    const byRole = await member.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
      version: 4,
    });
    expect(byRole.status).toBe(403);
    expect(byRole.body).toMatchObject({
      code: 'alias_rule_refused',
      details: { rule: 'production.allowedRoles' },
    });
    const byMetric = await owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
      version: 2,
    });
    expect(byMetric.status).toBe(409);
    expect(byMetric.body.details.rule).toBe('production.metrics.accuracy >= 0.9');
    const bySchema = await owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, {
      version: 3,
    });
    expect(bySchema.status).toBe(409);
    expect(bySchema.body.details.rule).toBe('production.requireSchemaMatch');
    expect(bySchema.body.message).toContain('output z added');
    const good = await owner.client.put(`${ob}/tracks/${tr.id}/aliases/production`, { version: 4 });
    expect(good.status).toBe(200);

    const hist = (
      await owner.client.get(`${ob}/tracks/${tr.id}/alias-history`)
    ).body.items.reverse();
    expect(hist.map((e: any) => [e.outcome, e.rule, e.toVersion])).toEqual([
      ['moved', null, 1],
      ['refused', 'production.allowedRoles', 4],
      ['refused', 'production.metrics.accuracy >= 0.9', 2],
      ['refused', 'production.requireSchemaMatch', 3],
      ['moved', null, 4],
    ]);
    expect((await owner.client.get(`${ob}/tracks/${tr.id}/alias-rules`)).body).toEqual([
      expect.objectContaining({
        alias: 'production',
        allowedRoles: ['orbit:admin'],
        requireSchemaMatch: true,
      }),
    ]);
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    const tr = await track();
    const v1 = await artifact();
    await addVersion(tr.id, v1);
    const other = await owner.client.post(`/v1/organizations/${owner.org.id}/orbits`, {
      name: `other-${randomBytes(2).toString('hex')}`,
    });
    const otherReg = registry(owner.client, owner.org.id, other.body.id);
    const foreign = await artifact({}, otherReg, (await otherReg.collection()).id);
    const counts = await rowCounts(db);
    const digest = await tableDigest(db, [
      'tracks',
      'track_versions',
      'track_aliases',
      'track_alias_rules',
      'artifact_lineage',
    ]);
    const base = `${ob}/tracks/${tr.id}`;
    for (const bad of ['Production', '1prod', 'prod_1', 'a'.repeat(64), '-x', 'prod%20x']) {
      const r = await owner.client.put(`${base}/aliases/${bad}`, { version: 1 });
      expect(r.status, bad).toBe(400);
      expect(r.body.details.fields[0].field).toBe('alias');
    }
    for (const body of [
      {},
      { version: 0 },
      { version: '1' },
      { version: 1, expectedVersion: 'x' },
      { version: 1, extra: true },
    ]) {
      expect(
        (await owner.client.put(`${base}/aliases/production`, body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect((await owner.client.put(`${base}/aliases/production`, { version: 7 })).status).toBe(404);
    const cross = await addVersion(tr.id, foreign);
    expect(cross.status).toBe(404);
    expect(cross.body.code).toBe('artifact_not_found');
    for (const body of [
      { allowedRoles: [] },
      { allowedRoles: ['god'] },
      {
        metrics: [
          { key: 'accuracy', op: 'gte', threshold: 0.9 },
          { key: 'accuracy', op: 'lte', threshold: 0.5 },
        ],
      },
      { metrics: [{ key: 'accuracy', op: 'between', threshold: 1 }] },
      { metrics: [{ key: 'accuracy', op: 'gte', threshold: 'high' }] },
    ]) {
      const r = await owner.client.put(`${base}/alias-rules/production`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('validation_failed');
    }
    expect(
      (
        await owner.client.put(`${ob}/artifacts/${v1}/lineage`, {
          parents: [{ artifactId: foreign, relation: 'dataset' }],
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await owner.client.put(`${ob}/artifacts/${v1}/lineage`, {
          parents: [{ artifactId: v1, relation: 'dataset' }],
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await owner.client.put(`${ob}/artifacts/${v1}/lineage`, {
          parents: [{ artifactId: v1, relation: 'cousin' }],
        })
      ).status,
    ).toBe(400);
    expect((await owner.client.get(`${base}/compare?versions=1,x`)).status).toBe(400);
    expect((await owner.client.get(`${ob}/artifacts/compare?ids=${v1}`)).status).toBe(400);
    expect((await owner.client.post(`${ob}/tracks`, { name: '' })).status).toBe(400);
    expect(
      (await owner.client.post(`${ob}/tracks`, { name: 'ok', tags: ['bad tag!'] })).status,
    ).toBe(400);
    expect(await rowCounts(db)).toEqual(counts);
    expect(
      await tableDigest(db, [
        'tracks',
        'track_versions',
        'track_aliases',
        'track_alias_rules',
        'artifact_lineage',
      ]),
    ).toBe(digest);
  });

  it('refuses to delete a track while a registered checker says it is deployed', async () => {
    const tr = await track();
    t.app
      .get(TrackHooks)
      .registerDeleteChecker(async (_m, x) =>
        x.id === tr.id ? 'version 1 is deployed (deployment d-1)' : null,
      );
    const r = await owner.client.delete(`${ob}/tracks/${tr.id}`);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      code: 'track_deployed',
      message: expect.stringContaining('deployment d-1'),
    });
    expect((await owner.client.get(`${ob}/tracks/${tr.id}`)).status).toBe(200);
  });

  it('records lineage and run information, and refuses cycles', async () => {
    const data = await artifact({ name: 'dataset-v1' });
    const base = await artifact({ name: 'base-model' });
    const ft = await artifact({ name: 'fine-tuned' });
    const r = await owner.client.put(`${ob}/artifacts/${ft}/lineage`, {
      parents: [
        { artifactId: data, relation: 'dataset' },
        { artifactId: base, relation: 'base_model' },
      ],
      runInfo: { commit: 'abc123', params: { lr: 0.001, epochs: 3 } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.parents.map((p: any) => [p.name, p.relation])).toEqual([
      ['base-model', 'base_model'],
      ['dataset-v1', 'dataset'],
    ]);
    expect(r.body.runInfo).toEqual({ commit: 'abc123', params: { lr: 0.001, epochs: 3 } });
    const children = await owner.client.get(`${ob}/artifacts/${base}/lineage`);
    expect(children.body.children).toEqual([
      { artifactId: ft, name: 'fine-tuned', relation: 'base_model' },
    ]);
    const cycle = await owner.client.put(`${ob}/artifacts/${base}/lineage`, {
      parents: [{ artifactId: ft, relation: 'parent_checkpoint' }],
    });
    expect(cycle.status).toBe(409);
    expect(cycle.body.code).toBe('lineage_cycle');
  });

  it('stores model cards for artifacts and tracks', async () => {
    const tr = await track();
    const a = await artifact();
    expect((await owner.client.get(`${ob}/tracks/${tr.id}/card`)).body.markdown).toBe('');
    const md = '# Churn\n\n<script>alert(1)</script> **bold**';
    expect(
      (await owner.client.put(`${ob}/tracks/${tr.id}/card`, { markdown: md })).body,
    ).toMatchObject({ markdown: md, updatedBy: 'owner@tracks.test' });
    expect(
      (await owner.client.put(`${ob}/artifacts/${a}/card`, { markdown: '## v1' })).status,
    ).toBe(200);
    expect((await owner.client.get(`${ob}/artifacts/${a}/card`)).body.markdown).toBe('## v1');
  });

  it('compares versions: metrics side by side, trend over all versions, schema, tags and file differences', async () => {
    const tr = await track();
    const a1 = await artifact({
      metrics: { accuracy: 0.8, loss: 0.5 },
      manifest: SCHEMA_A,
      tags: ['a'],
      fileName: 'model.onnx',
    });
    const a2 = await artifact({
      metrics: { accuracy: 0.9, f1: 0.7 },
      manifest: SCHEMA_B,
      tags: ['a', 'b'],
      fileName: 'model.onnx',
    });
    const a3 = await artifact({ metrics: { accuracy: 0.85 }, manifest: SCHEMA_B });
    for (const id of [a1, a2, a3]) await addVersion(tr.id, id);
    const c = await owner.client.get(`${ob}/tracks/${tr.id}/compare?versions=1,2`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.items.map((i: any) => i.version)).toEqual([1, 2]);
    expect(c.body.metrics).toEqual([
      { key: 'accuracy', values: [0.8, 0.9] },
      { key: 'f1', values: [null, 0.7] },
      { key: 'loss', values: [0.5, null] },
    ]);
    const d = c.body.diffs[0];
    expect(d.outputs.added).toEqual(['z']);
    expect(d.outputs.changed.map((x: any) => x.name)).toEqual(['y']);
    expect(d.inputs).toEqual({ added: [], removed: [], changed: [] });
    expect(d.tags).toEqual({ added: ['b'], removed: [] });
    expect(d.metrics).toMatchObject({
      added: ['f1'],
      removed: ['loss'],
      changed: [{ key: 'accuracy', from: 0.8, to: 0.9 }],
    });
    expect(d.files).toMatchObject({ fileNameChanged: false, contentChanged: true, sizeDelta: 0 });
    expect(c.body.trend.find((x: any) => x.key === 'accuracy').points).toEqual([
      { version: 1, value: 0.8 },
      { version: 2, value: 0.9 },
      { version: 3, value: 0.85 },
    ]);
    const ac = await owner.client.get(`${ob}/artifacts/compare?ids=${a3},${a1}`);
    expect(ac.status, JSON.stringify(ac.body)).toBe(200);
    expect(ac.body.items.map((i: any) => i.artifactId)).toEqual([a3, a1]);
    expect(ac.body.diffs[0].outputs.removed).toEqual(['z']);
  });

  it('searches tracks, aliases, tags and metrics of the orbit with typed hits', async () => {
    const tr = await track('search-me-model');
    await owner.client.patch(`${ob}/tracks/${tr.id}`, { tags: ['findable-tag'] });
    await addVersion(tr.id, await artifact({ metrics: { 'zeta-score': 0.5 } }));
    await owner.client.put(`${ob}/tracks/${tr.id}/aliases/findable-alias`, { version: 1 });
    const hits = async (q: string) =>
      (await owner.client.get(`${ob}/search?q=${encodeURIComponent(q)}`)).body.hits as any[];
    expect(
      (await hits('search-me')).filter((h) => h.type === 'track').map((h) => h.trackId),
    ).toEqual([tr.id]);
    expect((await hits('findable-al')).find((h) => h.type === 'alias')).toMatchObject({
      label: 'findable-alias',
      trackId: tr.id,
      version: 1,
    });
    expect((await hits('findable-t')).find((h) => h.type === 'tag')).toMatchObject({
      label: 'findable-tag',
    });
    expect((await hits('zeta')).find((h) => h.type === 'metric')).toMatchObject({
      label: 'zeta-score',
    });
    expect((await owner.client.get(`${ob}/search?q=`)).status).toBe(400);
  });
});

describe(
  'tenancy of tracks, lineage, cards, compare, search and webhooks',
  { timeout: 60_000 },
  () => {
    it('denies outsiders, their API keys and org members outside the orbit on every route, changing nothing', async () => {
      const victim = await signupUser(t.baseURL, 'victim@tracks.test');
      const org = victim.org.id as string;
      const restricted = await victim.client.post(`/v1/organizations/${org}/orbits`, {
        name: 'restricted',
      });
      const vob = `/v1/organizations/${org}/orbits/${restricted.body.id}`;
      const vreg = registry(victim.client, org, restricted.body.id);
      const vcol = (await vreg.collection()).id;
      const a1 = (await vreg.upload(vcol, randomBytes(16))).id;
      const a2 = (await vreg.upload(vcol, randomBytes(16))).id;
      const tr = (await victim.client.post(`${vob}/tracks`, { name: 'secret-track' })).body;
      await victim.client.post(`${vob}/tracks/${tr.id}/versions`, { artifactId: a1 });
      await victim.client.put(`${vob}/tracks/${tr.id}/aliases/production`, { version: 1 });
      await victim.client.put(`${vob}/tracks/${tr.id}/alias-rules/production`, {
        requireSchemaMatch: true,
      });
      await victim.client.put(`/v1/organizations/${org}/webhook-settings`, {
        allowPrivateNetworks: true,
      });
      const wh = (
        await victim.client.post(`${vob}/webhooks`, {
          name: 'w',
          url: 'http://127.0.0.1:9/hook',
          events: ['track.alias_moved'],
        })
      ).body;
      const routes: [string, string, unknown?][] = tenantRoutes(org, vob, tr.id, a1, a2, wh.id);
      const outsider = await signupUser(t.baseURL, 'outsider@else.test');
      const key = await outsider.client.post('/v1/users/me/api-keys', { name: 'k' });
      const orgMember = await signupUser(t.baseURL, 'plain@tracks.test');
      const inv = await victim.client.post(`/v1/organizations/${org}/invitations`, {
        email: 'plain@tracks.test',
        role: 'member',
      });
      await orgMember.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`);
      const before = await db.query(
        'SELECT count(*)::int AS n FROM audit_events WHERE organization_id = $1',
        [org],
      );
      const digest = await tableDigest(db, [
        'tracks',
        'track_versions',
        'track_aliases',
        'track_alias_rules',
        'track_alias_events',
        'webhooks',
        'webhook_deliveries',
        'model_cards',
        'artifact_lineage',
      ]);

      for (const [who, client] of [
        ['outsider', outsider.client],
        ['outsider key', http(t.baseURL, key.body.key)],
        ['org member outside orbit', orgMember.client],
      ] as const) {
        for (const [method, path, body] of routes) {
          if (
            who === 'org member outside orbit' &&
            path.endsWith('/webhook-settings') &&
            method === 'GET'
          )
            continue; // members may read org settings
          const r = await client.call(
            method,
            path,
            body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}),
          );
          expect(
            [403, 404],
            `${who}: ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`,
          ).toContain(r.status);
          expect(JSON.stringify(r.body)).not.toMatch(/secret-track|restricted/);
        }
      }
      expect(
        await db.query('SELECT count(*)::int AS n FROM audit_events WHERE organization_id = $1', [
          org,
        ]),
      ).toEqual(before);
      expect(
        await tableDigest(db, [
          'tracks',
          'track_versions',
          'track_aliases',
          'track_alias_rules',
          'track_alias_events',
          'webhooks',
          'webhook_deliveries',
          'model_cards',
          'artifact_lineage',
        ]),
      ).toBe(digest);
    });
  },
);

/** Every route of this feature with a body that would succeed for the victim. */
function tenantRoutes(
  org: string,
  vob: string,
  track: string,
  a1: string,
  a2: string,
  webhook: string,
): [string, string, unknown?][] {
  const tb = `${vob}/tracks/${track}`;
  return [
    ['POST', `${vob}/tracks`, { name: 'intruder' }],
    ['GET', `${vob}/tracks`],
    ['GET', tb],
    ['PATCH', tb, { name: 'pwned' }],
    ['DELETE', tb],
    ['POST', `${tb}/versions`, { artifactId: a2 }],
    ['GET', `${tb}/versions`],
    ['GET', `${tb}/versions/1`],
    ['GET', `${tb}/compare?versions=1`],
    ['GET', `${tb}/card`],
    ['PUT', `${tb}/card`, { markdown: 'pwned' }],
    ['GET', `${tb}/aliases`],
    ['PUT', `${tb}/aliases/production`, { version: 1 }],
    ['DELETE', `${tb}/aliases/production`],
    ['GET', `${tb}/alias-history`],
    ['GET', `${tb}/alias-rules`],
    ['PUT', `${tb}/alias-rules/production`, { requireSchemaMatch: false }],
    ['DELETE', `${tb}/alias-rules/production`],
    ['GET', `${vob}/artifacts/compare?ids=${a1},${a2}`],
    ['GET', `${vob}/artifacts/${a1}/lineage`],
    [
      'PUT',
      `${vob}/artifacts/${a2}/lineage`,
      { parents: [{ artifactId: a1, relation: 'dataset' }] },
    ],
    ['GET', `${vob}/artifacts/${a1}/card`],
    ['PUT', `${vob}/artifacts/${a1}/card`, { markdown: 'pwned' }],
    ['GET', `${vob}/search?q=secret`],
    [
      'POST',
      `${vob}/webhooks`,
      { name: 'evil', url: 'http://127.0.0.1:9/x', events: ['track.alias_moved'] },
    ],
    ['GET', `${vob}/webhooks`],
    ['GET', `${vob}/webhooks/${webhook}`],
    ['PATCH', `${vob}/webhooks/${webhook}`, { url: 'http://127.0.0.1:9/evil' }],
    ['DELETE', `${vob}/webhooks/${webhook}`],
    ['POST', `${vob}/webhooks/${webhook}/secret`],
    ['POST', `${vob}/webhooks/${webhook}/test`],
    ['GET', `${vob}/webhooks/${webhook}/deliveries`],
    ['GET', `/v1/organizations/${org}/webhook-settings`],
    ['PUT', `/v1/organizations/${org}/webhook-settings`, { allowPrivateNetworks: false }],
  ];
}
