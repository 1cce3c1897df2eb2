import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The binary embeds dist/ at build time, so the names are fixed: index.html, console.js and
// console.css, nothing else (no hashes, no chunks, no public/ files, no inline script or style).
declare const process: { env: Record<string, string | undefined> };
const target = process.env.ARCHON_AUTH_URL ?? 'http://127.0.0.1:8181';

export default defineConfig({
  base: '/admin/',
  publicDir: false,
  plugins: [react()],
  // The SDK packages are linked from sdks/typescript: one React, one client module.
  resolve: { dedupe: ['react', 'react-dom', '@archon/auth-client'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: 'console.js',
        chunkFileNames: 'console-[name].js',
        assetFileNames: (info) => (info.names?.[0]?.endsWith('.css') ? 'console.css' : '[name][extname]'),
        codeSplitting: false,
      },
    },
  },
  // `npm run dev`: the API and /metrics of a running archon-auth, same origin through vite.
  server: {
    proxy: {
      '/api': { target, changeOrigin: false },
      '/metrics': { target, changeOrigin: false },
      '/.well-known': { target, changeOrigin: false },
    },
  },
});
