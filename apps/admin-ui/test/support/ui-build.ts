import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

/** apps/admin-ui, where vite.config.ts is. */
export const ADMIN_UI_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VITE_BIN = fileURLToPath(new URL('../../../../node_modules/vite/bin/vite.js', import.meta.url));

/**
 * Builds the panel into apps/admin-ui/dist (what the API serves at /admin), so a browser test
 * always sees the current sources rather than whatever an earlier `npm run build` left (a second
 * or two with Vite).
 */
export async function buildAdminUi(): Promise<void> {
  await execa(process.execPath, [VITE_BIN, 'build', ADMIN_UI_ROOT, '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
}
