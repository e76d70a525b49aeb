// Souk for the checkout benchmark: exactly what `souk start` runs (createSouk, then listen), plus a
// loopback-only side port that plays the sandbox payment provider's part. A shopper approving on the
// sandbox's hosted page makes the provider record the decision and send a signed webhook; here the
// harness asks the side port for that webhook (signedSandboxWebhook, the payments module's own helper,
// which records the approval on the sandbox intent and signs the event with this installation's
// secret) and then POSTs it to the storefront's webhook route itself, so the webhook is a timed step.
// The provider's work runs in this process, as the sandbox's hosted page does in production.
// Environment: as `souk start`, plus SIGNER_PORT (required) and BENCH_CPU_PROFILE=<dir> (optional: a
// .cpuprofile of this server is written there when it stops).
import { createSouk } from '../src/server.ts';
import { paymentsModule, signedSandboxWebhook } from '../src/modules/payments/index.ts';
import { startCpuProfile } from './lib/profile.ts';
import { jsonSidePort } from './lib/side-port.ts';

const signerPort = Number(process.env.SIGNER_PORT);
if (!Number.isInteger(signerPort) || signerPort <= 0) {
  console.error('checkout-server: set SIGNER_PORT');
  process.exit(2);
}

const writeProfile = await startCpuProfile(process.env.BENCH_CPU_PROFILE);
const souk = await createSouk();
await souk.app.listen({ port: souk.config.port, host: souk.config.host });

const signer = jsonSidePort(async (raw) => {
  const input = raw as { platformId: string; paymentId: string };
  const { body, headers } = await signedSandboxWebhook(souk.runtimeOf(paymentsModule), { platformId: input.platformId, paymentId: input.paymentId });
  return { body, headers };
});
signer.listen(signerPort, '127.0.0.1');
console.log(`souk listening on ${souk.config.port}, sandbox signer on ${signerPort}`);

const stop = () => {
  signer.close();
  souk.close().then(writeProfile).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
