import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC instead of esbuild: NestJS and TypeORM need emitDecoratorMetadata.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { conditions: ['@brier/source'] },
  ssr: { resolve: { conditions: ['@brier/source'] } },
  test: {
    include: ['{apps,libs,test}/**/*.{spec,int-spec,e2e-spec}.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Integration specs share one Postgres and one Redis: run files one at a time, like BullMQ.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
