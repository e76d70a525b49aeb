// The storefront's build: served by Souk at / on every platform host, output in storefront/dist
// (git-ignored), hashed assets under assets/ (Souk caches those for a year). Each page is its own chunk,
// so the first load carries only the shell and the page opened.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite storefront` during development: the API runs on PORT (default 3000) beside it.
    proxy: { '/store': { target: process.env.SOUK_URL ?? 'http://127.0.0.1:3000', ws: true }, '/static': process.env.SOUK_URL ?? 'http://127.0.0.1:3000' },
  },
});
