// Whether scripts/start.mjs must install or build first, from file times. node: built-ins only.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Why `npm ci` must run (node_modules missing or older than package-lock.json), or undefined. */
export function installNeeded(root) {
  const lock = mtime(join(root, 'package-lock.json'));
  // npm rewrites node_modules/.package-lock.json on every install: the time of the last install.
  const installed =
    mtime(join(root, 'node_modules', '.package-lock.json')) ?? mtime(join(root, 'node_modules'));
  if (installed === undefined) return 'node_modules is missing';
  if (lock !== undefined && lock > installed) return 'package-lock.json is newer than node_modules';
  return undefined;
}

/** Every project tsconfig.build.json reaches through `references`, the root one excluded. */
function buildProjects(root) {
  const seen = new Set();
  const visit = (configPath) => {
    let config;
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch {
      return;
    }
    for (const reference of config.references ?? []) {
      let path = resolve(dirname(configPath), reference.path);
      if (!path.endsWith('.json')) path = join(path, 'tsconfig.json');
      if (seen.has(path)) continue;
      seen.add(path);
      visit(path);
    }
  };
  visit(join(root, 'tsconfig.build.json'));
  return [...seen];
}

const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

const SOURCE_FILE = /\.(ts|tsx|css)$/;

function newestSource(dir) {
  let newest = 0;
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (SOURCE_FILE.test(entry.name) && !TEST_FILE.test(entry.name)) {
        newest = Math.max(newest, mtime(path) ?? 0);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/**
 * Why `npm run build` must run, or undefined: a project's dist/.tsbuildinfo is missing, or
 * older than its sources (tests excluded), its tsconfig or the shared tsconfig.base.json.
 */
export function buildNeeded(root) {
  // The root tsconfig.build.json only lists projects, so it does not count; the shared compiler options do.
  const shared = mtime(join(root, 'tsconfig.base.json')) ?? 0;
  for (const configPath of buildProjects(root)) {
    const dir = dirname(configPath);
    const name = relative(root, dir);
    let outDir = 'dist';
    let buildInfo = 'dist/.tsbuildinfo';
    try {
      const options = JSON.parse(readFileSync(configPath, 'utf8')).compilerOptions ?? {};
      outDir = options.outDir ?? outDir;
      buildInfo = options.tsBuildInfoFile ?? buildInfo;
    } catch {
      return `${relative(root, configPath)} cannot be read`;
    }
    const built = mtime(join(dir, buildInfo));
    if (!existsSync(join(dir, outDir)) || built === undefined) return `${name}/${outDir} is missing`;
    const sources = Math.max(shared, mtime(configPath) ?? 0, newestSource(join(dir, 'src')));
    if (sources > built) return `${name} has sources newer than its build`;
  }
  return adminUiBuildNeeded(root);
}

/** The admin panel is built by Vite (after tsc): its index.html is the build's last word. */
function adminUiBuildNeeded(root) {
  const dir = join(root, 'apps', 'admin-ui');
  if (!existsSync(dir)) return undefined;
  const built = mtime(join(dir, 'dist', 'index.html'));
  if (built === undefined) return 'apps/admin-ui/dist is missing';
  const sources = Math.max(mtime(join(dir, 'index.html')) ?? 0, newestSource(join(dir, 'src')));
  return sources > built ? 'apps/admin-ui has sources newer than its build' : undefined;
}

/** The first project (in tsconfig.build.json's references) that has no build output, or undefined. */
export function distMissing(root) {
  for (const configPath of buildProjects(root)) {
    const dir = dirname(configPath);
    let outDir = 'dist';
    try {
      outDir = JSON.parse(readFileSync(configPath, 'utf8')).compilerOptions?.outDir ?? outDir;
    } catch {
      return relative(root, configPath);
    }
    if (!existsSync(join(dir, outDir))) return `${relative(root, dir)}/${outDir}`;
  }
  return undefined;
}
