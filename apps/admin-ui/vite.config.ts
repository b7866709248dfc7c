import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The admin panel, served by the API at /admin (apps/api serves dist/). `npm run build` builds it
// after the TypeScript projects; `npx vite apps/admin-ui` serves it with hot reload, the API
// calls proxied to BRIER_API_URL (default: the API of `npm start`).
const api = process.env['BRIER_API_URL'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/admin/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Observable Plot and its d3 modules are most of the bundle: one chunk, cached by hash.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: { '/v1': { target: api, changeOrigin: false }, '/docs': api, '/admin/queues': api },
  },
});
