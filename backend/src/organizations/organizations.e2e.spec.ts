import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness.js';
import { http, signupUser } from '../testing/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('organizations, members and invitations', () => {
  it('invites by email, lets the invitee accept from their account, and grants the invited role', async () => {
    const owner = await signupUser(t.baseURL, 'owner@team.test');
    const org = owner.org.id;
    const inv = await owner.client.post(`/v1/organizations/${org}/invitations`, {
      email: 'Admin@Team.test',
      role: 'admin',
    });
    expect(inv.status).toBe(201);
    expect(inv.body.link).toContain(`/invitations/${inv.body.id}`);
    expect(
      (
        await owner.client.post(`/v1/organizations/${org}/invitations`, {
          email: 'admin@team.test',
          role: 'member',
        })
      ).status,
    ).toBe(409);

    const invitee = await signupUser(t.baseURL, 'admin@team.test');
    const mine = await invitee.client.get('/v1/users/me/invitations');
    expect(mine.body.map((i: { id: string }) => i.id)).toEqual([inv.body.id]);
    expect(mine.body[0].organizationName).toBe(owner.org.name);
    // someone else cannot accept it
    const stranger = await signupUser(t.baseURL, 'stranger@else.test');
    expect(
      (await stranger.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status,
    ).toBe(404);

    expect(
      (await invitee.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`)).status,
    ).toBe(204);
    const orgs = await invitee.client.get('/v1/organizations');
    const joined = orgs.body.find((o: { id: string }) => o.id === org);
    expect(joined.role).toBe('admin');
    expect(joined.permissions.organization_invite).toContain('create');
    expect(joined.permissions.organization).not.toContain('delete');
    // an admin sees every orbit of the organization
    const orbits = await invitee.client.get(`/v1/organizations/${org}/orbits`);
    expect(orbits.body.map((o: { name: string }) => o.name)).toContain('default');
    expect(orbits.body[0].permissions.orbit).toContain('update');
  });

  it('keeps at least one owner and lets only owners grant ownership', async () => {
    const owner = await signupUser(t.baseURL, 'solo@own.test');
    const org = owner.org.id;
    const members = await owner.client.get(`/v1/organizations/${org}/members`);
    const me = members.body[0];
    const demote = await owner.client.patch(`/v1/organizations/${org}/members/${me.id}`, {
      role: 'admin',
    });
    expect(demote.status).toBe(409);
    expect(demote.body.code).toBe('last_owner');
    expect((await owner.client.delete(`/v1/organizations/${org}/members/${me.id}`)).status).toBe(
      409,
    );

    const inv = await owner.client.post(`/v1/organizations/${org}/invitations`, {
      email: 'adm@own.test',
      role: 'admin',
    });
    const adm = await signupUser(t.baseURL, 'adm@own.test');
    await adm.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`);
    const admMember = (await owner.client.get(`/v1/organizations/${org}/members`)).body.find(
      (m: { email: string }) => m.email === 'adm@own.test',
    );
    expect(
      (
        await adm.client.patch(`/v1/organizations/${org}/members/${admMember.id}`, {
          role: 'owner',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await owner.client.patch(`/v1/organizations/${org}/members/${admMember.id}`, {
          role: 'owner',
        })
      ).status,
    ).toBe(200);
    expect(
      (await owner.client.patch(`/v1/organizations/${org}/members/${me.id}`, { role: 'admin' }))
        .status,
    ).toBe(200);
  });

  it('adds org members to orbits with a role; a member sees only orbits they belong to', async () => {
    const owner = await signupUser(t.baseURL, 'boss@orb.test');
    const org = owner.org.id;
    const secret = await owner.client.post(`/v1/organizations/${org}/orbits`, {
      name: 'secret-project',
      description: 'x',
    });
    expect(secret.status).toBe(201);
    expect(secret.body.role).toBe('admin');
    expect(
      (await owner.client.post(`/v1/organizations/${org}/orbits`, { name: 'secret-project' }))
        .status,
    ).toBe(409);
    const inv = await owner.client.post(`/v1/organizations/${org}/invitations`, {
      email: 'dev@orb.test',
      role: 'member',
    });
    const dev = await signupUser(t.baseURL, 'dev@orb.test');
    await dev.client.post(`/v1/users/me/invitations/${inv.body.id}/accept`);
    expect((await dev.client.get(`/v1/organizations/${org}/orbits`)).body).toEqual([]);
    const add = await owner.client.post(
      `/v1/organizations/${org}/orbits/${secret.body.id}/members`,
      { userId: dev.user.id, role: 'member' },
    );
    expect(add.status).toBe(201);
    const visible = await dev.client.get(`/v1/organizations/${org}/orbits`);
    expect(visible.body.map((o: { name: string }) => o.name)).toEqual(['secret-project']);
    expect(visible.body[0].permissions.orbit).toEqual(['read']);
    expect(
      (
        await dev.client.patch(`/v1/organizations/${org}/orbits/${secret.body.id}`, {
          name: 'mine',
        })
      ).status,
    ).toBe(403);
    // a non-member of the org cannot be added to an orbit
    const outsider = await signupUser(t.baseURL, 'out@side.test');
    expect(
      (
        await owner.client.post(`/v1/organizations/${org}/orbits/${secret.body.id}/members`, {
          userId: outsider.user.id,
          role: 'member',
        })
      ).status,
    ).toBe(404);
    // leaving the org removes orbit memberships
    const devMember = (await owner.client.get(`/v1/organizations/${org}/members`)).body.find(
      (m: { email: string }) => m.email === 'dev@orb.test',
    );
    expect(
      (await dev.client.delete(`/v1/organizations/${org}/members/${devMember.id}`)).status,
    ).toBe(204);
    const orbitMembers = await owner.client.get(
      `/v1/organizations/${org}/orbits/${secret.body.id}/members`,
    );
    expect(orbitMembers.body.map((m: { email: string }) => m.email)).toEqual(['boss@orb.test']);
  });

  it('records every mutation in the audit log, filterable by action prefix and actor', async () => {
    const owner = await signupUser(t.baseURL, 'audited@log.test');
    const org = owner.org.id;
    await owner.client.patch(`/v1/organizations/${org}`, { description: 'new' });
    await owner.client.post(`/v1/organizations/${org}/orbits`, { name: 'audited-orbit' });
    const all = await owner.client.get(`/v1/organizations/${org}/audit-events?limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toBeTruthy();
    const next = await owner.client.get(
      `/v1/organizations/${org}/audit-events?limit=2&cursor=${all.body.nextCursor}`,
    );
    expect(next.body.items[0].id).not.toBe(all.body.items[1].id);
    const orbitEvents = await owner.client.get(
      `/v1/organizations/${org}/audit-events?action=orbit.`,
    );
    expect(orbitEvents.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'orbit.create',
      'orbit.create',
    ]);
    expect(orbitEvents.body.items[0]).toMatchObject({
      actorType: 'user',
      actorLabel: 'audited@log.test',
    });
    const badCursor = await owner.client.get(
      `/v1/organizations/${org}/audit-events?action=orbit.&cursor=${all.body.nextCursor}`,
    );
    expect(badCursor.status).toBe(400);
  });

  it('keeps everything across a restart', async () => {
    const owner = await signupUser(t.baseURL, 'persist@restart.test');
    const key = await owner.client.post('/v1/users/me/api-keys', { name: 'survives' });
    await owner.client.post(`/v1/organizations/${owner.org.id}/orbits`, { name: 'durable' });
    t = await t.restart();
    const viaKey = http(t.baseURL, key.body.key);
    const orbits = await viaKey.get(`/v1/organizations/${owner.org.id}/orbits`);
    expect(orbits.status).toBe(200);
    expect(orbits.body.map((o: { name: string }) => o.name).sort()).toEqual(['default', 'durable']);
    expect(
      (
        await http(t.baseURL).post('/v1/auth/signin', {
          email: 'persist@restart.test',
          password: 'password-123',
        })
      ).status,
    ).toBe(200);
  });
});
