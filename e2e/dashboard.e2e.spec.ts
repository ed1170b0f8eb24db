import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeTinyOnnx } from '../satellite/src/testing/tiny-onnx.js';
import {
  buildApp,
  findChromium,
  newBrowser,
  SCREENSHOTS,
  startApp,
  type RunningApp,
} from './harness.js';

const executable = findChromium();
const required = process.env.APOGEE_REQUIRE_BROWSER === '1';
if (!executable && !required) {
  console.warn(
    '[e2e] Chromium not found (apt-get install -y chromium): dashboard e2e tests are skipped. Set APOGEE_REQUIRE_BROWSER=1 to make this a failure.',
  );
}

describe.skipIf(!executable && !required)('dashboard (Chromium)', () => {
  let app: RunningApp;
  let admin: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const state: { org?: string; orbit?: string; artifactB?: string; inviteLink?: string } = {};

  async function shot(name: string, p: Page = page): Promise<void> {
    await p.waitForTimeout(150);
    await p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }

  async function settle(p: Page = page): Promise<void> {
    await p.waitForLoadState('networkidle');
    await p
      .locator('.p-skeleton')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
  }

  beforeAll(async () => {
    if (!executable)
      throw new Error(
        'APOGEE_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install -y chromium, or set APOGEE_CHROMIUM)',
      );
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    buildApp();
    app = await startApp();
    admin = await newBrowser(executable, app.baseURL);
    page = admin.context.pages()[0] ?? (await admin.context.newPage());
    page.on('pageerror', (e) => console.error('[browser] page error:', e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') console.error('[browser]', m.text());
    });
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page)
      await shot(`FAIL-${task.name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => undefined);
  });

  afterAll(async () => {
    await admin?.close();
    await app?.stop();
  });

  it('signs in with email and password', async () => {
    await page.goto('/');
    await page.waitForURL(/\/sign-in/);
    await page.locator('#email').fill(app.adminEmail);
    await page.locator('#password').fill('wrong-password');
    await page.getByTestId('signin-submit').click();
    await expect.poll(() => page.getByTestId('signin-error').textContent()).toMatch(/\S/);
    await shot('01-sign-in-error');
    await page.locator('#password').fill(app.adminPassword);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL(/\/orgs\/[^/]+\/orbits$/);
    state.org = page.url().split('/orgs/')[1]!.split('/')[0];
    await settle();
    await shot('02-orbits');
  });

  it('creates an orbit and a collection', async () => {
    await page.getByTestId('orbit-new').click();
    await page.getByTestId('orbit-name').fill('vision');
    await page.getByTestId('orbit-submit').click();
    await page.waitForURL(/\/orbits\/[^/]+\/artifacts$/);
    state.orbit = page.url().split('/orbits/')[1]!.split('/')[0];
    await settle();
    await expect.poll(() => page.locator('.empty h3').textContent()).toContain('No artifacts yet');
    await shot('03-artifacts-empty');

    await page.getByTestId('nav-collections').click();
    await page.getByTestId('collection-new').click();
    await page.getByTestId('collection-name').fill('classifiers');
    await page.getByTestId('collection-submit').click();
    await page.getByTestId('collections-table').getByText('classifiers').waitFor();
    await shot('04-collections');
  });

  it('uploads files with a progress bar that reaches 100 %', async () => {
    await page.getByTestId('nav-artifacts').click();
    await settle();
    const uploads: { name: string; buffer: Buffer; metrics: string }[] = [
      {
        name: 'resnet-a.bin',
        buffer: crypto.randomBytes(8 * 1024 * 1024),
        metrics: 'accuracy=0.91\nloss=0.30',
      },
      {
        name: 'resnet-b.onnx',
        buffer: Buffer.from(encodeTinyOnnx('linear')),
        metrics: 'accuracy=0.97\nloss=0.12',
      },
      {
        name: 'resnet-c.bin',
        buffer: crypto.randomBytes(1024 * 1024),
        metrics: 'accuracy=0.85\nloss=0.41',
      },
    ];
    await page.getByTestId('upload-open').click();
    for (const [i, u] of uploads.entries()) {
      await page
        .getByTestId('file-input')
        .setInputFiles({ name: u.name, mimeType: 'application/octet-stream', buffer: u.buffer });
      await page.getByTestId('upload-metrics').fill(u.metrics);
      await page.getByTestId('upload-start').click();
      const item = page.getByTestId('upload-item').first();
      await item
        .locator('[data-testid="upload-percent"]')
        .getByText('100 %')
        .waitFor({ timeout: 60_000 });
      expect(await item.getAttribute('data-state')).toBe('done');
      expect(await page.locator('[data-testid="upload-item"][data-state="done"]').count()).toBe(
        i + 1,
      );
    }
    await shot('05-upload-dialog-done');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByTestId('artifacts-table').getByText('resnet-c', { exact: true }).waitFor();
  });

  it('sorts artifacts by a metric on the server', async () => {
    const table = page.getByTestId('artifacts-table');
    const header = table.locator('th', { hasText: 'accuracy' });
    if (!(await header.count())) {
      await page.getByTestId('column-picker').click();
      await page.locator('.p-multiselect-option', { hasText: 'accuracy' }).click();
      await page.keyboard.press('Escape');
    }
    const names = () => table.locator('tbody tr .link-cell').allTextContents();
    const asc = page.waitForResponse(
      (r) => r.url().includes('sort=metrics.accuracy') && r.url().includes('order=asc'),
    );
    await header.click();
    await asc;
    await expect.poll(names).toEqual(['resnet-c', 'resnet-a', 'resnet-b']);
    const desc = page.waitForResponse(
      (r) => r.url().includes('sort=metrics.accuracy') && r.url().includes('order=desc'),
    );
    await header.click();
    await desc;
    await expect.poll(names).toEqual(['resnet-b', 'resnet-a', 'resnet-c']);
    await shot('06-artifacts-sorted');
  });

  it('opens an artifact: overview, manifest, metrics, tags, download', async () => {
    await page.getByTestId('artifact-link-resnet-b').click();
    await page.waitForURL(/\/artifacts\/[^/?]+/);
    state.artifactB = page.url().split('/artifacts/')[1]!.split('?')[0];
    await expect.poll(() => page.getByTestId('artifact-title').textContent()).toBe('resnet-b');
    await page.getByTestId('tag-edit').click();
    await page.getByTestId('tag-input').locator('input').fill('production');
    await page.keyboard.press('Enter');
    await page.getByTestId('tag-save').click();
    await page.locator('.p-tag', { hasText: 'production' }).first().waitFor();
    await shot('07-artifact-overview');

    const download = page.waitForEvent('download');
    await page.getByTestId('download').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('resnet-b.onnx');

    await page.getByRole('tab', { name: /Manifest/ }).click();
    await page.getByTestId('manifest-io').waitFor();
    expect(await page.getByTestId('manifest-io').textContent()).toContain('float32');
    await shot('08-artifact-manifest');
    await page.getByRole('tab', { name: /Metrics/ }).click();
    expect(await page.getByTestId('metrics-table').textContent()).toContain('0.97');
    await page.locator('canvas').first().waitFor();
    await shot('09-artifact-metrics');
  });

  it('compares two artifacts with a bar chart', async () => {
    await page.getByTestId('nav-artifacts').click();
    await settle();
    const rows = page.getByTestId('artifacts-table').locator('tbody tr');
    await rows.first().waitFor();
    await page
      .locator('.p-datatable-mask')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await rows.nth(0).locator('.p-checkbox').click();
    await rows.nth(1).locator('.p-checkbox').click();
    await page.getByTestId('compare').click();
    await page.waitForURL(/\/compare\?ids=/);
    await page.locator('canvas').first().waitFor();
    expect(await page.getByTestId('compare-table').textContent()).toContain('accuracy');
    await shot('10-compare');
  });

  it('creates an API key shown once, and revokes it', async () => {
    await page.getByTestId('nav-api-keys').click();
    await settle();
    await shot('11-api-keys-empty');
    await page.getByTestId('api-key-open').click();
    await page.locator('#key-name').fill('ci-key');
    await page.getByTestId('api-key-submit').click();
    const value = page.getByTestId('api-key-created').getByTestId('copy-value');
    await value.waitFor();
    const key = await value.inputValue();
    expect(key).toMatch(/^apg_/);
    await shot('12-api-key-created');
    const me = await fetch(`${app.baseURL}/v1/users/me`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(me.status).toBe(200);
    await page.getByTestId('api-key-done').click();
    await page.getByTestId('api-key-created').waitFor({ state: 'detached' });
    await page.getByTestId('api-keys-table').getByText('ci-key').waitFor();
    await page.getByTestId('revoke-ci-key').click();
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page
      .getByTestId('api-keys-table')
      .getByText('ci-key')
      .waitFor({ state: 'detached' })
      .catch(async () => {
        await page.getByText('No API keys yet').waitFor();
      });
    const after = await fetch(`${app.baseURL}/v1/users/me`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(after.status).toBe(401);
  });

  it('shows the other pages: secrets, members, audit log, invitations, account', async () => {
    await page.goto(`/orgs/${state.org}/orbits/${state.orbit}/secrets`);
    await settle();
    await page.getByRole('button', { name: 'New secret' }).click();
    await page.locator('#sec-name').fill('HF_TOKEN');
    await page.locator('#sec-value').fill('hf_secret_value');
    await page.getByRole('dialog').getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('button', { name: 'Reveal HF_TOKEN' }).click();
    await expect.poll(() => page.getByTestId('copy-value').inputValue()).toBe('hf_secret_value');
    await shot('13-secrets');
    await page.getByTestId('nav-org-members').click();
    await settle();
    await page.getByTestId('invite-open').click();
    await page.locator('#inv-email').fill('mallory@other.test');
    await page.getByRole('button', { name: 'Create invitation' }).click();
    state.inviteLink = await page
      .getByTestId('invite-created')
      .getByTestId('copy-value')
      .inputValue();
    expect(state.inviteLink).toMatch(/\/invitations\/[0-9a-f-]+$/);
    await shot('14-invite-link');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByTestId('invitations-table').waitFor();
    await shot('15-members');
    await page.getByTestId('nav-audit').click();
    await settle();
    await page.getByTestId('audit-table').waitFor();
    await shot('16-audit');
    await page.getByTestId('audit-action').fill('api_key.');
    await expect
      .poll(async () =>
        (await page.getByTestId('audit-table').locator('tbody tr').allTextContents()).every((t) =>
          t.includes('api_key.'),
        ),
      )
      .toBe(true);
    await page.getByTestId('nav-account').click();
    await settle();
    await page.locator('#pw-current').fill(app.adminPassword);
    await page.locator('#pw-new').fill('changed-pass-2');
    await page.locator('#pw-confirm').fill('changed-pass-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed').waitFor();
    await shot('17-account');
    const old = await fetch(`${app.baseURL}/v1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: app.adminEmail, password: app.adminPassword }),
    });
    expect(old.ok).toBe(false);
  });

  it('keeps the session alive past the access token lifetime', async () => {
    // The app runs with a 15 s access token; the dashboard renews it before expiry (and on a 401).
    await page.waitForTimeout(17_000);
    await page.getByTestId('nav-orbits').click();
    await page.waitForURL(/\/orbits$/);
    await page.getByTestId('orbit-card-vision').waitFor();
    expect(page.url()).not.toContain('sign-in');
  });

  it('persists the dark theme and stays usable at tablet width', async () => {
    await page.goto(`/orgs/${state.org}/orbits/${state.orbit}/artifacts`);
    await settle();
    await page.getByTestId('theme-toggle').click();
    await page.reload();
    await settle();
    expect(await page.evaluate(() => document.documentElement.classList.contains('app-dark'))).toBe(
      true,
    );
    await shot('18-dark-artifacts');
    await page.goto(`/orgs/${state.org}/orbits/${state.orbit}/artifacts/${state.artifactB}`);
    await settle();
    await shot('19-dark-artifact');
    await page.goto(`/orgs/${state.org}/orbits`);
    await settle();
    await shot('20-dark-orbits');
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.goto(`/orgs/${state.org}/orbits/${state.orbit}/artifacts`);
    await settle();
    await shot('21-dark-tablet-artifacts');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await page.getByTestId('nav-collections').click();
    await page.waitForURL(/\/collections$/);
    await page.getByTestId('theme-toggle').click();
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('shows a user of another organization none of it', async () => {
    const eve = await newBrowser(executable!, app.baseURL);
    try {
      const p = eve.context.pages()[0] ?? (await eve.context.newPage());
      await p.goto('/sign-up');
      await p.locator('#name').fill('Mallory Other');
      await p.locator('#email').fill('mallory@other.test');
      await p.locator('#password').fill('mallory-pass-1');
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.waitForURL(/\/orgs\/[^/]+\/orbits$/);
      await settle(p);
      expect(p.url()).not.toContain(state.org!);
      expect(await p.getByTestId('nav-orbit-vision').count()).toBe(0);
      await p.getByTestId('org-switcher').click();
      const orgNames = await p.locator('.p-select-option').allTextContents();
      await p.keyboard.press('Escape');
      expect(orgNames.join('|')).not.toContain('Default');
      await shot('22-other-user-orbits', p);

      await p.goto(`/orgs/${state.org}/orbits/${state.orbit}/artifacts/${state.artifactB}`);
      await p.getByTestId('org-not-found').waitFor();
      expect(await p.getByTestId('artifact-title').count()).toBe(0);
      await shot('23-other-user-denied', p);
      const status = await p.evaluate(
        async (url) => (await fetch(url)).status,
        `/v1/organizations/${state.org}/orbits/${state.orbit}/artifacts`,
      );
      expect(status).toBe(404);

      // Once invited and accepted, the organization appears (but no orbit she was not added to).
      await p.goto(new URL(state.inviteLink!).pathname);
      await p.getByTestId('my-invitation').waitFor();
      await shot('25-invitation', p);
      await p.getByRole('button', { name: 'Accept' }).click();
      await p.waitForURL(new RegExp(`/orgs/${state.org}/orbits$`));
      await settle(p);
      expect(await p.getByTestId('nav-orbit-vision').count()).toBe(0);
      await shot('26-invited-member-orbits', p);
    } catch (e) {
      const p = eve.context.pages()[0];
      if (p) await shot('FAIL-other-user', p).catch(() => undefined);
      throw e;
    } finally {
      await eve.close();
    }
  });

  it('signs out', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByText('Sign out').click();
    await page.waitForURL(/\/sign-in/);
    await shot('24-signed-out');
    await page.goto(`/orgs/${state.org}/orbits`);
    await page.waitForURL(/\/sign-in\?redirect=/);
  });
});
