// The machine's HTTP ceiling: a Fastify 5 server with one route and nothing else (no logging, no
// hooks). Every benchmark measures it in the same run so results read as a fraction of it.
// Run as a child process by the harness: PORT (required), HOST (default 127.0.0.1).
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('bare-server: set PORT to the port to listen on');
  process.exit(2);
}

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

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
