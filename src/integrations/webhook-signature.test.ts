// The receiver-side helper against a real delivery: an endpoint on 127.0.0.1 gets Souk's test delivery
// (POST …/webhooks/endpoints/:id/test), and the helper accepts its headers and raw body with the
// endpoint's secret, and refuses a wrong secret, a changed body, a stale timestamp and a missing header.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from '../../test/harness.ts';
import { waitFor } from '../../test/wait.ts';
import { signatureHeader } from '../kernel/signature.ts';
import { checkSoukSignature, signatureHeaderOf, verifySoukSignature } from './webhook-signature.ts';

// The receiver is on loopback, which the server refuses unless told otherwise (as an operator would for a
// local receiver); the app is built in eachDatabase's before hook, after this line runs.
process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
}

eachDatabase('webhook signature helper', (env) => {
  let shop: TestPlatform;
  let server: http.Server;
  const received: Delivery[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, rawBody: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    shop = await createTestPlatform(env, { slug: 'wh-sig', modules: ['catalog', 'webhooks'] });
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies the headers of a real test delivery and refuses tampering, other secrets and stale timestamps', async () => {
    const hooks = `/admin/platforms/${shop.platform.slug}/webhooks`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const created = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `${hooks}/endpoints`, payload: { url, eventTypes: ['webhook.test'] } });
    assert.equal(created.statusCode, 201, created.body);
    const { id, secret } = created.json<{ id: string; secret: string }>();

    const queued = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `${hooks}/endpoints/${id}/test` });
    assert.equal(queued.statusCode, 202, queued.body);
    await waitFor('the test delivery', () => received.length === 1);
    const delivery = received[0]!;
    const header = signatureHeaderOf(delivery.headers);
    assert.ok(header, 'the delivery carries x-souk-signature');
    assert.equal(JSON.parse(delivery.rawBody.toString('utf8')).type, 'webhook.test');

    const check = checkSoukSignature(secret, header, delivery.rawBody);
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal(verifySoukSignature(secret, header, delivery.rawBody.toString('utf8')), true, 'a string body works too');
    assert.equal(signatureHeaderOf(new Headers({ 'X-Souk-Signature': header })), header, 'Fetch Headers are read too');

    const tampered = Buffer.from(delivery.rawBody.toString('utf8').replace('webhook.test', 'webhook.tost'));
    assert.deepEqual(checkSoukSignature(secret, header, tampered), { ok: false, reason: 'no_matching_signature' });
    assert.deepEqual(checkSoukSignature(`${secret}x`, header, delivery.rawBody), { ok: false, reason: 'no_matching_signature' });
    const sentAt = check.ok ? check.timestamp : 0;
    assert.deepEqual(checkSoukSignature(secret, header, delivery.rawBody, { now: (sentAt + 301) * 1000 }), { ok: false, reason: 'stale_timestamp' });
    assert.equal(verifySoukSignature(secret, header, delivery.rawBody, { now: (sentAt + 299) * 1000 }), true, 'within the default 300 s');
    assert.equal(verifySoukSignature(secret, header, delivery.rawBody, { now: (sentAt + 60) * 1000, toleranceSeconds: 30 }), false);
    assert.deepEqual(checkSoukSignature(secret, undefined, delivery.rawBody), { ok: false, reason: 'missing_header' });
    assert.deepEqual(checkSoukSignature(secret, 't=abc,v1=zz', delivery.rawBody), { ok: false, reason: 'malformed_header' });
  });
});

// What a receiver installs: the built helper under the package's export name (npm install builds dist/).
it('is exported as souk/webhook-signature, the same helper built for receivers', async () => {
  const exported = await import('souk/webhook-signature');
  const body = '{"type":"webhook.test"}';
  const header = signatureHeader(['whsec-test'], Date.now() / 1000, body);
  assert.equal(exported.verifySoukSignature('whsec-test', header, body), true);
  assert.equal(exported.verifySoukSignature('whsec-other', header, body), false);
  assert.equal(exported.SIGNATURE_HEADER, 'x-souk-signature');
});
