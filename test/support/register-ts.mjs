// Usage: node --conditions=@brier/source --import ./test/support/register-ts.mjs path/to/main.ts
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
