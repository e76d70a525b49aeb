// The machine's HTTP ceiling: a Fastify 5 server with nothing else (no logging, no hooks). Every
// benchmark measures it in the same run so results read as a fraction of it.
//   GET /           {"hello":"world"}, the ceiling autocannon measures.
//   POST /purchase  parses a small JSON body and answers a 409 problem+json of the size and shape of
//                   Souk's flash-sale sold-out answer: the floor of a purchase attempt over HTTP, for
//                   the flash-sale bench to drive with its own shopper client (like for like).
// Run as a child process by the harness: PORT (required), HOST (default 127.0.0.1).
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('bare-server: set PORT to the port to listen on');
  process.exit(2);
}

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.post('/purchase', async (request, reply) => {
  const variantId = (request.body as { variantId?: unknown } | null)?.variantId;
  void reply.code(409).type('application/problem+json');
  return {
    type: 'urn:souk:problem:sold_out',
    title: 'Conflict',
    status: 409,
    code: 'sold_out',
    detail: `The sale "Bare rush" is sold out for this item (${typeof variantId === 'string' ? variantId : 'no variant'}).`,
  };
});

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`bare fastify listening on ${port}`);

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
