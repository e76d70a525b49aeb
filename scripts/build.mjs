// Builds dist/ from src/ with esbuild (the `prepare` script, so `npm install` and `npm ci` run it): one
// ESM bundle per CLI entry plus lazily loaded chunks, so `souk --help` loads a few kilobytes instead of
// compiling the whole TypeScript tree at every start. node_modules stay external (loaded as installed).
// Source maps point stack traces back at src/ (bin/souk.js turns them on).
//
// Modules find their SQL migrations (and other files beside them) with `new URL('…', import.meta.url)`.
// In a bundle import.meta.url is dist/'s, so each source file's import.meta.url is rewritten to its own
// location in src/, expressed relative to the bundle so a moved checkout still works.
import { build } from 'esbuild';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');

/** @type {import('esbuild').Plugin} */
const sourceLocatedImportMeta = {
  name: 'source-located-import-meta',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const fromDist = relative(outdir, args.path).split('\\').join('/');
      const located = `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', located), loader: 'ts' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The CLI, and the receiver-side signature helper that package.json exports as `souk/webhook-signature`.
  entryPoints: { souk: 'src/cli/main.ts', 'webhook-signature': 'src/integrations/webhook-signature.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [sourceLocatedImportMeta],
});
// bin/souk.js compares these inputs' times with the build's, and runs the sources when one is newer.
const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules'));
await writeFile(join(outdir, 'inputs.json'), JSON.stringify({ builtAt: Date.now(), inputs }) + '\n');
console.log(`souk: built dist/ from ${inputs.length} source files (${pathToFileURL(outdir).pathname})`);

// The web apps (React + Vite): the admin console (console/ into console/dist, served at /console) and the
// storefront (storefront/ into storefront/dist, served at / on every platform host). Vite is a
// development dependency: an install without them (npm ci --omit=dev) skips both, and /console and the
// storefront then answer a page saying so instead of failing.
let vite;
try {
  vite = await import('vite');
} catch {
  console.log('souk: vite is not installed, so the admin console and the storefront are not built (their pages will say so)');
}

/** Builds one app and writes a .br and a .gz beside each script and style sheet. */
async function buildWebApp(folder, label) {
  const started = Date.now();
  await vite.build({ configFile: join(root, folder, 'vite.config.ts'), logLevel: 'warn' });
  // Compressed once here rather than on every request: Souk serves the .br or .gz beside each file to a
  // browser that accepts it (@fastify/static preCompressed).
  const assets = join(root, folder, 'dist', 'assets');
  for (const name of await readdir(assets)) {
    if (!/\.(js|css)$/.test(name)) continue;
    const bytes = await readFile(join(assets, name));
    await writeFile(join(assets, `${name}.gz`), gzipSync(bytes, { level: 9 }));
    await writeFile(join(assets, `${name}.br`), brotliCompressSync(bytes));
  }
  console.log(`souk: built ${label} into ${folder}/dist in ${Date.now() - started} ms`);
}

if (vite) {
  await buildWebApp('console', 'the admin console');
  await buildWebApp('storefront', 'the storefront');
}
