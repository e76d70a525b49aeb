// The console's build: served by Souk under /console/, output in console/dist (git-ignored), hashed
// assets under assets/ (Souk caches those for a year).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite console` during development: the API runs on PORT (default 3000) beside it.
    proxy: { '/admin': process.env.SOUK_URL ?? 'http://127.0.0.1:3000' },
  },
});
