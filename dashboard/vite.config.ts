import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard builds into dist/: index.html and content-hashed files under
 * assets/ (the controller serves those as immutable). Pages are split into
 * their own chunks, so the first load carries only the shell and one page.
 */
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `pnpm --filter @patchfleet/dashboard dev` against a local controller (`pnpm start`).
    proxy: { '/api': { target: 'https://localhost:8443', secure: false } },
  },
});
