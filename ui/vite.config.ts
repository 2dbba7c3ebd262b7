import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is served from the app binary; relative paths keep it working from any origin.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: { target: 'es2021', outDir: 'dist', emptyOutDir: true },
  clearScreen: false,
});
