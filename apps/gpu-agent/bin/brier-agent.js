#!/usr/bin/env node
// The `brier-agent` command. Compiled by `npm run build` (npm install runs it through `prepare`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'brier-agent: the agent is not built yet; run `npm run build` in the repository root.\n',
  );
  process.exit(1);
}
await import(main.href);
