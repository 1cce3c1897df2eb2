import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // The SDK packages are linked from sdks/typescript: one React, one client module.
  resolve: { dedupe: ['react', 'react-dom', '@archon/auth-client'] },
  build: { sourcemap: true },
});
