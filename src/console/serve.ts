// Serves the admin console (console/, a React app built by `npm install` into console/dist) at /console
// from the API process itself, so trying Souk needs no second server. Hashed files under /console/assets/
// are cached for a year and sent brotli- or gzip-compressed (prepared by the build); every other /console
// path answers index.html (the app routes in the browser), never cached so a new build is picked up. Running from source without a build answers a page that says how to
// build, rather than a crash or a bare 404. The console calls the same /admin API as everyone else: nothing
// here bypasses tenancy, it only hands out static files.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/** The console may only talk to this origin; it is never framed. */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Souk console not built</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem">
<h1>The console is not built</h1>
<p>This Souk runs from source without the console's build output (<code>console/dist</code>).
Run <code>npm run build</code> (or <code>npm install</code>) in the checkout, then reload this page.</p>
<p>The admin API is unaffected: see <a href="/docs">/docs</a>.</p>`;

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY').header('cache-control', 'no-cache');
}

export async function registerConsole(app: FastifyInstance, dir: string = CONSOLE_DIST): Promise<void> {
  const built = existsSync(`${dir}index.html`) || existsSync(`${dir}/index.html`);
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
  if (!built) {
    app.get('/console/*', { schema: { hide: true } }, (_request, reply) => pageHeaders(reply).code(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    // Routes for the files that exist; anything else falls to the SPA fallback below.
    wildcard: false,
    index: false,
    cacheControl: false,
    // scripts/build.mjs writes a .br and a .gz beside each asset.
    preCompressed: true,
    setHeaders(reply, path) {
      if (path.includes('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
      else pageHeaders(reply);
    },
  });
  app.get('/console/*', { schema: { hide: true } }, (request, reply) => {
    // A missing hashed file is a stale page asking for an old build's chunk: a 404, not the app's HTML.
    if (request.url.startsWith('/console/assets/')) return reply.code(404).type('text/plain').send('Not found');
    return pageHeaders(reply).sendFile('index.html', dir);
  });
}
