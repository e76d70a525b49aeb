// Placeholder pictures for the demo catalogue, drawn on request as small SVGs: a tinted card with the
// product's name in English and Chinese, so the storefront and console look like a shop without
// shipping binary photos (the drawing is code in this repository, under its licence). Only demo
// handles answer; anything else is a 404 problem, so the route never pretends to host real images.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { demoProductTitle } from './demo-data.ts';
import { imageNotFound } from './problems.ts';

export const DEMO_IMAGE_ROUTE = '/static/img/:file';
const FILE = /^([a-z0-9]+(?:-[a-z0-9]+)*?)(-2)?\.svg$/;
const SIZE = 480;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stable hue per handle, so each product keeps its colour across restarts and both platforms. */
function hueOf(handle: string): number {
  let hash = 0;
  for (const char of handle) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

/** Splits an English title into lines of at most ~16 characters at spaces. */
function wrap(text: string, width = 16): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

export function demoImageSvg(handle: string, title: readonly [zh: string, en: string], second: boolean): string {
  const hue = hueOf(handle);
  const [background, accent] = second ? [`hsl(${hue} 45% 88%)`, `hsl(${hue} 40% 62%)`] : [`hsl(${hue} 55% 80%)`, `hsl(${hue} 45% 52%)`];
  const english = wrap(title[1]);
  const top = SIZE / 2 - (english.length - 1) * 18 + 20;
  const englishLines = english
    .map((line, i) => `<text x="240" y="${top + i * 36}" font-size="30" font-weight="600">${escapeXml(line)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}" role="img" aria-label="${escapeXml(title[1])}">
<rect width="${SIZE}" height="${SIZE}" fill="${background}"/>
<circle cx="240" cy="${second ? 380 : 150}" r="${second ? 150 : 90}" fill="${accent}" opacity="0.35"/>
<g fill="hsl(${hue} 35% 22%)" text-anchor="middle" font-family="system-ui, 'Helvetica Neue', Arial, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif">
${englishLines}
<text x="240" y="${top + english.length * 36 + 12}" font-size="26">${escapeXml(title[0])}</text>
<text x="240" y="455" font-size="14" opacity="0.6">Souk demo${second ? ' · 2' : ''}</text>
</g>
</svg>
`;
}

export function demoImageRoutes(app: FastifyInstance): void {
  app.get(DEMO_IMAGE_ROUTE, {
    schema: {
      tags: ['storefront'],
      summary: 'A placeholder picture of a demo product (SVG), as referenced by the demo catalogue’s images',
      description: 'Served for the handles of the demo catalogue only: `<handle>.svg` and `<handle>-2.svg`. Other names answer 404.',
      params: Type.Object({ file: Type.String({ maxLength: 200 }) }),
      response: { 200: Type.String({ description: 'image/svg+xml' }), ...errorResponses(404) },
    },
  }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const match = FILE.exec(file);
    const handle = match?.[1];
    const title = handle === undefined ? undefined : demoProductTitle(handle);
    if (!handle || !title) throw imageNotFound(file);
    return reply
      .type('image/svg+xml; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(demoImageSvg(handle, title, match?.[2] === '-2'));
  });
}
