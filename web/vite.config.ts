import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { mockApi } from './mock/api.ts';

// `npm run dev` serves the app with a mock API (mock/api.ts), or proxies /api
// to a running recce server when RECCE_API is set, e.g.
// RECCE_API=http://127.0.0.1:8000 npm run dev
const upstream = process.env.RECCE_API;

export default defineConfig({
  plugins: [react(), upstream || process.env.VITEST ? null : mockApi()],
  server: upstream
    ? {
        proxy: {
          '/api': {
            target: upstream,
            // The server accepts changes from its own origin: drop the dev server's.
            configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
          },
        },
      }
    : undefined,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
  },
});
