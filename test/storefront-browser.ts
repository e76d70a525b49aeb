// What the storefront's browser suites share: the demo shop on PGlite listening on a port, Debian's
// chromium driven by playwright-core (never a downloaded browser), pages at phone and desktop size, and
// the API calls a test makes beside the browser (souk-cn's /store as its host, its admin API, new
// customers, the checkout form down to the sandbox's Approve).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import type { Config } from '../src/kernel/config.ts';
import { STOREFRONT_DIST } from '../src/storefront/serve.ts';
import { DEMO, seedDemo } from '../src/seed/demo.ts';
import { login, startTestSouk, type StartedSouk } from './harness.ts';

export const CHROMIUM = process.env.SOUK_CHROMIUM ?? '/usr/bin/chromium';
/** For describe's skip: why the browser suites cannot run here, or false. */
export const NO_BROWSER = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (.ci/run installs Debian's chromium)`;
export const STEP_TIMEOUT = 30_000;
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** The storefront's build output, built now when running from a checkout that never ran `npm install`'s prepare. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(join(STOREFRONT_DIST, 'index.html'))) return;
  const vite = await import('vite');
  await vite.build({ configFile: resolve(import.meta.dirname, '..', 'storefront', 'vite.config.ts'), logLevel: 'warn' });
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface BrowserShop {
  started: StartedSouk;
  port: number;
  browser: Browser;
  newPage(viewport: { width: number; height: number }): Promise<Page>;
  /** A page whose storefront is signed in as the customer with `token`. */
  signedInPage(token: string, viewport?: { width: number; height: number }): Promise<Page>;
  /** A storefront request to souk-cn through Fastify (the platform from the Host, as a browser's). */
  cn(method: Method, url: string, payload?: unknown, token?: string): Promise<LightMyRequestResponse>;
  adminToken(): Promise<string>;
  /** souk-cn's admin API: `url` after /admin/platforms/souk-cn. */
  admin(token: string, method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  newCustomer(): Promise<{ token: string; email: string }>;
  /** On the checkout page: the e-mail (a guest's), the address, then the sandbox's Approve; ends on the paid order. */
  payAtCheckout(page: Page, email?: string): Promise<void>;
  close(): Promise<void>;
}

/** The demo shop listening on a free port, and chromium. */
export async function startBrowserShop(config: Partial<Config> = {}): Promise<BrowserShop> {
  await ensureBuilt();
  const started = await startTestSouk('pglite', config);
  await seedDemo(started.souk);
  const { app } = started.souk;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

  const withBody = (payload: unknown) => (payload === undefined ? {} : { payload: payload as object });
  const newPage = async (viewport: { width: number; height: number }) => {
    const context = await browser.newContext({ viewport, locale: 'en-US', ...(viewport === PHONE ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
    context.setDefaultTimeout(STEP_TIMEOUT);
    return context.newPage();
  };
  const cn: BrowserShop['cn'] = (method, url, payload, token) =>
    app.inject({ method, url, headers: { host: 'cn.localhost', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...withBody(payload) });
  let customers = 0;

  return {
    started,
    port,
    browser,
    newPage,
    async signedInPage(token, viewport = PHONE) {
      const page = await newPage(viewport);
      await page.context().addInitScript((t) => localStorage.setItem('souk.store.token', t), token);
      return page;
    },
    cn,
    adminToken: () => login(app, DEMO.admin.email, DEMO.admin.password),
    admin: (token, method, url, payload) => app.inject({ method, url: `/admin/platforms/souk-cn${url}`, headers: { authorization: `Bearer ${token}` }, ...withBody(payload) }),
    async newCustomer() {
      customers += 1;
      const email = `shopper${customers}@storefront.test`;
      const res = await cn('POST', '/store/customers', { email, password: 'shopper-password', name: `买家${customers}` });
      assert.equal(res.statusCode, 201, res.body);
      return { token: res.json().token as string, email };
    },
    async payAtCheckout(page, email) {
      if (email) await page.getByLabel('电子邮箱').fill(email);
      await page.getByLabel('名', { exact: true }).fill('小红');
      await page.getByLabel('姓', { exact: true }).fill('李');
      await page.getByLabel('街道门牌').fill('南京西路 1 号');
      await page.getByLabel('城市').fill('上海');
      await page.getByLabel('邮政编码').fill('200041');
      await page.getByLabel(/国家\/地区/).fill('CN');
      await page.getByRole('button', { name: '提交订单并支付' }).click();
      await page.waitForURL(/\/pay\/sandbox\//);
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByTestId('payment-status').filter({ hasText: '已支付' }).waitFor();
    },
    async close() {
      await browser.close();
      await started.close();
    },
  };
}
