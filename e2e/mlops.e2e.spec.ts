import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeTinyOnnx } from '../satellite/src/testing/tiny-onnx.js';
import {
  buildApp,
  findChromium,
  newBrowser,
  ROOT,
  SCREENSHOTS,
  startApp,
  type RunningApp,
} from './harness.js';

/**
 * The MLOps pages of the dashboard (satellites, deployments, models, tracks, webhooks, storage)
 * against the app with its local satellite, the way `npm start` runs them.
 */
const executable = findChromium();
const required = process.env.APOGEE_REQUIRE_BROWSER === '1';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

describe.skipIf(!executable && !required)('MLOps pages (Chromium)', () => {
  let app: RunningApp;
  let satellite: ChildProcess | null = null;
  let satLog = '';
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const s: { org?: string; orbit?: string; deployment?: string } = {};

  async function shot(name: string): Promise<void> {
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }
  async function settle(): Promise<void> {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page
      .locator('.p-skeleton')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
  }
  const orbitUrl = (p: string) => `/orgs/${s.org}/orbits/${s.orbit}/${p}`;

  beforeAll(async () => {
    if (!executable) throw new Error('APOGEE_REQUIRE_BROWSER=1 but no Chromium was found');
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    buildApp();
    app = await startApp();
    const local = path.join(ROOT, 'satellite', 'dist', 'local.js');
    if (fs.existsSync(local)) {
      satellite = spawn(process.execPath, [local], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: new URL(app.baseURL).port,
          APOGEE_DATA_DIR: app.dataDir,
          APOGEE_SATELLITE_PORT: String(await freePort()),
          APOGEE_SATELLITE_RUNTIME: 'process',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      satellite.stdout?.on(
        'data',
        (d: Buffer) => (satLog = (satLog + d.toString()).slice(-20_000)),
      );
      satellite.stderr?.on(
        'data',
        (d: Buffer) => (satLog = (satLog + d.toString()).slice(-20_000)),
      );
    }
    browser = await newBrowser(executable, app.baseURL);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => console.error('[browser] page error:', e.message));
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) {
      await shot(`FAIL-mlops-${task.name.replace(/\W+/g, '-').slice(0, 40)}`).catch(
        () => undefined,
      );
      if (satLog) console.error('[satellite]', satLog.slice(-4000));
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (satellite && satellite.exitCode === null) {
      satellite.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => (satellite!.kill('SIGKILL'), r()), 10_000);
        satellite!.once('exit', () => (clearTimeout(t), r()));
      });
    }
    await app?.stop();
  });

  it('signs in and finds the default orbit', async () => {
    await page.goto('/');
    await page.waitForURL(/\/sign-in/);
    await page.locator('#email').fill(app.adminEmail);
    await page.locator('#password').fill(app.adminPassword);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL(/\/orgs\/[^/]+\/orbits$/);
    s.org = page.url().split('/orgs/')[1]!.split('/')[0];
    const orbits = await page.evaluate(async (org) => {
      const r = await fetch(`/v1/organizations/${org}/orbits`);
      return (await r.json()) as
        { id: string; name: string }[] | { items: { id: string; name: string }[] };
    }, s.org);
    const list = Array.isArray(orbits) ? orbits : orbits.items;
    s.orbit = list[0]!.id;
  });

  it('shows the local satellite and creates one whose key is shown once', async () => {
    await page.goto(orbitUrl('satellites'));
    await settle();
    if (satellite) {
      // The local satellite pairs within seconds; the page re-reads every 15 s.
      await expect
        .poll(
          async () => {
            await page.reload();
            await settle();
            return page.locator('tbody').getByText('Active', { exact: true }).count();
          },
          { timeout: 60_000, interval: 3_000 },
        )
        .toBeGreaterThan(0);
      await page
        .getByText(/\d+ CPU/)
        .first()
        .waitFor();
    }
    await shot('mlops-01-satellites');
    await page.getByRole('button', { name: 'New satellite' }).click();
    await page.locator('#sat-name').fill('edge-gpu-1');
    await page.getByRole('button', { name: 'Create satellite' }).click();
    const keyBox = page.getByTestId('satellite-key');
    await keyBox.waitFor();
    const key = await keyBox.locator('input[aria-label="satellite key"]').inputValue();
    expect(key).toMatch(/^sat_/);
    expect(await keyBox.locator('input[aria-label="install command"]').inputValue()).toBe(
      `APOGEE_URL=${app.baseURL} APOGEE_SATELLITE_KEY=${key} npx apogee-satellite`,
    );
    await shot('mlops-02-satellite-key-once');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.locator('tbody').getByText('edge-gpu-1').waitFor();
    expect(await page.content()).not.toContain(key);
    await page.locator('tbody').getByText('Not paired').waitFor();
    await shot('mlops-03-satellites-list');
  });

  it('deploys a tiny ONNX model on the local satellite and predicts from the playground', async () => {
    if (!satellite) return;
    await page.goto(orbitUrl('collections'));
    await settle();
    await page.getByTestId('collection-new').click();
    await page.getByTestId('collection-name').fill('models');
    await page.getByTestId('collection-submit').click();
    await page.getByTestId('collections-table').getByText('models').waitFor();
    await page.goto(orbitUrl('artifacts'));
    await settle();
    await page.getByTestId('upload-open').click();
    await page.getByTestId('file-input').setInputFiles({
      name: 'tiny-linear.onnx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(encodeTinyOnnx('linear')),
    });
    await page.getByTestId('upload-start').click();
    await page
      .getByTestId('upload-item')
      .first()
      .locator('[data-testid="upload-percent"]')
      .getByText('100 %')
      .waitFor({ timeout: 60_000 });
    await page.keyboard.press('Escape');

    await page.goto(orbitUrl('deployments'));
    await settle();
    await shot('mlops-04-deployments-empty');
    await page.getByRole('button', { name: 'New deployment' }).first().click();
    const dlg = page.getByTestId('create-deployment');
    await dlg.locator('#dep-artifact').click();
    await page.getByRole('option', { name: /tiny-linear/ }).click();
    await dlg.locator('#dep-name').fill('tiny-linear');
    await shot('mlops-05-deployment-create');
    await dlg.getByRole('button', { name: 'Deploy' }).click();
    await page.waitForURL(/\/deployments\/[^/]+$/);
    s.deployment = page.url().split('/deployments/')[1];
    await page.locator('.p-tag').getByText('Active', { exact: true }).waitFor({ timeout: 120_000 });
    await page
      .locator('[data-testid="waterfall"] [data-phase="healthy"]')
      .waitFor({ timeout: 15_000 });
    const form = page.getByTestId('schema-form');
    await form.waitFor();
    await form.locator('textarea[data-input="x"]').fill('[[1, 2, 3, 4]]');
    await form.getByRole('button', { name: 'Predict' }).click();
    await page.getByTestId('predict-outputs').getByText('dims [1, 2]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await shot('mlops-06-deployment-page');
    await page.getByTestId('predict-outputs').scrollIntoViewIfNeeded();
    await shot('mlops-07-deployment-playground');
    await page.goto(orbitUrl('deployments'));
    await settle();
    await page.locator('tbody').getByText('tiny-linear').waitFor();
    await shot('mlops-08-deployments-list');
  });

  it('opens the models page and the add-model form', async () => {
    await page.goto(orbitUrl('models'));
    await settle();
    await page.locator('h1', { hasText: 'Models' }).waitFor();
    await shot('mlops-09-models');
    await page
      .getByRole('button', { name: /Add model/ })
      .first()
      .click();
    await page.getByTestId('create-model').waitFor();
    await page.getByRole('button', { name: 'Object store' }).click();
    await page.locator('#model-loc').waitFor();
    await shot('mlops-10-models-create');
    await page.keyboard.press('Escape');
  });

  it('creates a track, writes its model card, and creates a webhook with its secret once', async () => {
    await page.goto(orbitUrl('tracks'));
    await settle();
    await page.getByRole('button', { name: 'New track' }).click();
    await page.locator('#tr-name').fill('fraud-detector');
    await page.getByRole('dialog').getByRole('button', { name: 'Create track' }).click();
    await page.waitForURL(/\/tracks\/[^/]+$/);
    await settle();
    await page.getByRole('tab', { name: 'Model card' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page
      .getByLabel('Model card markdown')
      .fill(
        '# Fraud detector\n\n**Intended use**: card payments.\n\n| metric | value |\n|---|---|\n| auc | 0.97 |\n\n<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
      );
    await page.getByRole('button', { name: 'Save' }).click();
    const md = page.getByTestId('markdown');
    await md.locator('h1').getByText('Fraud detector').waitFor();
    expect(await md.locator('table').count()).toBe(1);
    expect(await md.locator('script').count()).toBe(0);
    expect(await md.innerHTML()).not.toContain('onerror');
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    await shot('mlops-11-track-card');
    await page.goto(orbitUrl('tracks'));
    await settle();
    await shot('mlops-12-tracks');

    await page.goto(orbitUrl('webhooks'));
    await settle();
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.locator('#wh-name').fill('ci-notify');
    await page.locator('#wh-url').fill('https://ci.example.test/hooks/apogee');
    await page.getByRole('dialog').getByRole('button', { name: 'Create webhook' }).click();
    const secret = await page.locator('input[aria-label="signing secret"]').inputValue();
    expect(secret.length).toBeGreaterThan(10);
    await shot('mlops-13-webhook-secret');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('tbody').getByText('ci-notify').waitFor();
    await shot('mlops-14-webhooks');
  });

  it('tests the local storage backend connection step by step', async () => {
    await page.goto(`/orgs/${s.org}/storage`);
    await settle();
    await page
      .getByRole('button', { name: /Test connection of/ })
      .first()
      .click();
    const checks = page.getByTestId('connection-checks').first();
    await checks.waitFor();
    for (const step of ['list', 'write', 'read', 'delete'])
      expect(await checks.locator(`[data-step="${step}"]`).textContent()).toContain('✓');
    await shot('mlops-15-storage');
    await page.getByRole('button', { name: 'New backend' }).click();
    await page.locator('#s3-bucket').waitFor();
    await shot('mlops-16-storage-create');
    await page.keyboard.press('Escape');
  });
});
