// Builds the page into ../static with relative asset paths, so the server serves it from its own origin.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "../static",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2500,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running `ruimtepuzzel serve` on port 8000
    proxy: { "/api": { target: "http://127.0.0.1:8000", ws: true } },
  },
});
