/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell embeds `ui/dist` and serves it from its own `tauri://` origin, so assets use
// relative URLs and nothing is fetched from the network (the CSP allows only 'self').
export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [svelte()],
  // Tests that mount components or use runes need Svelte's browser build, not its server one.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  clearScreen: false,
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.4x (Debian 12) and WebView2 both handle ES2022.
    target: 'es2022',
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
}));
