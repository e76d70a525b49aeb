// Serves the storefront (storefront/, a React app built by `npm install` into storefront/dist) at / on
// every platform host: the platform comes from the Host exactly as the /store API finds it, so
// http://cn.localhost:3000/ is souk-cn. The page is index.html with the platform's theme written into its
// head (title, language, colours, and the theme as JSON for the app), so the first paint already has
// the shop's name and colours and the app needs no round trip to learn them. Hashed files under /assets/
// are cached for a year and sent brotli- or gzip-compressed (prepared by the build).
//
// What is not a storefront page is left alone: pages are answered only where no route matched (the
// not-found handler asks here first), and not for the API and every other top-level path of Souk (the
// list below), a host that names no platform, or a request that does not ask for HTML: those get the
// usual 404 problem, so nothing the API answered before changes.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Platform, PlatformDirectory } from '../kernel/context.ts';
import { storefrontTheme } from '../modules/platforms/storefront-settings.ts';

export const STOREFRONT_DIST = fileURLToPath(new URL('../../storefront/dist/', import.meta.url));

/** First path segments that belong to Souk itself, never to the storefront app. */
const RESERVED = new Set(['store', 'admin', 'console', 'pay', 'static', 'docs', 'openapi.json', 'metrics', 'healthz', 'readyz', '_gateway', 'assets']);

/**
 * The storefront calls this origin (the /store API, its WebSocket, the demo images) and the media
 * server's (a live room's HLS playlist and segments, which hls.js fetches and the video plays from a
 * blob: URL); it is never framed.
 */
export function storefrontCsp(mediaOrigins: readonly string[] = []): string {
  const media = mediaOrigins.map((o) => ` ${o}`).join('');
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:${media}; media-src 'self' blob: https:${media}; connect-src 'self'${media}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Storefront not built</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem">
<h1>The storefront is not built</h1>
<p>This Souk runs from source without the storefront's build output (<code>storefront/dist</code>).
Run <code>npm run build</code> (or <code>npm install</code>) in the checkout, then reload this page.</p>
<p>The storefront API is unaffected: see <a href="/docs">/docs</a>.</p>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** index.html with `platform`'s theme in its head. */
export function themedPage(template: string, platform: Platform): string {
  const theme = storefrontTheme(platform);
  const boot = { slug: platform.slug, currencies: platform.currencies, locales: platform.locales, storefront: theme };
  // A JSON data block is never executed (CSP allows it); `<` is escaped so no text in it can end the tag.
  const json = JSON.stringify(boot).replace(/</g, '\\u003c');
  const { primary, accent, background, text } = theme.colors;
  const head =
    `<title>${escapeHtml(theme.name)}</title>` +
    (theme.tagline ? `<meta name="description" content="${escapeHtml(theme.tagline)}">` : '') +
    `<meta name="theme-color" content="${primary}">` +
    `<style>:root{--primary:${primary};--accent:${accent};--bg:${background};--text:${text}}</style>` +
    `<script type="application/json" id="souk-platform">${json}</script>`;
  return template.replace(/<html lang="[^"]*">/, `<html lang="${escapeHtml(theme.locale)}">`).replace(/<title>[^<]*<\/title>/, '').replace('</head>', `${head}</head>`);
}

function pageHeaders(reply: FastifyReply, csp: string): FastifyReply {
  return reply.header('content-security-policy', csp).header('x-frame-options', 'DENY').header('cache-control', 'no-cache').type('text/html; charset=utf-8');
}

/** The platform whose storefront this request is a page of, or undefined when it is not one. */
function storefrontPlatform(request: FastifyRequest, platforms: PlatformDirectory): Platform | undefined {
  const first = request.url.split('?')[0]!.split('/')[1] ?? '';
  if (RESERVED.has(first)) return undefined;
  if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
  const platform = platforms.byHost(request.hostname);
  return platform?.status === 'active' ? platform : undefined;
}

export interface StorefrontSite {
  /** For the not-found handler: answers the storefront page and returns true when the request is one. */
  page(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Serves the app's hashed files under /assets/. */
  registerAssets(app: FastifyInstance): Promise<void>;
}

/**
 * The storefront's pages are not routes: a route would also catch what the router refuses on its own (a
 * path parameter over the length limit answers 414 there), so a page is the answer of last resort, given
 * by the not-found handler before its 404 problem.
 */
export function storefrontSite(platforms: PlatformDirectory, options: { dir?: string; mediaUrl?: string } = {}): StorefrontSite {
  const root = (options.dir ?? STOREFRONT_DIST).replace(/\/$/, '');
  // The media server's public URL (SOUK_MEDIA_PLAYBACK_URL): live video comes from there.
  const csp = storefrontCsp(options.mediaUrl ? [new URL(options.mediaUrl).origin] : []);
  const indexFile = `${root}/index.html`;
  const template = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
  // Each platform's page is made once per version of the platform (the directory hands out a new object when it changes).
  const pages = new WeakMap<Platform, string>();
  return {
    page(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const platform = storefrontPlatform(request, platforms);
      if (!platform) return false;
      if (template === undefined) {
        void pageHeaders(reply, csp).code(503).send(NOT_BUILT);
        return true;
      }
      let page = pages.get(platform);
      if (page === undefined) {
        page = themedPage(template, platform);
        pages.set(platform, page);
      }
      void pageHeaders(reply, csp).code(200).send(page);
      return true;
    },
    async registerAssets(app) {
      if (template === undefined) return;
      await app.register(fastifyStatic, {
        root: `${root}/assets`,
        prefix: '/assets/',
        wildcard: false,
        index: false,
        cacheControl: false,
        preCompressed: true,
        // The console registered the reply decorators already.
        decorateReply: false,
        setHeaders(reply) {
          reply.header('cache-control', 'public, max-age=31536000, immutable');
        },
      });
    },
  };
}
