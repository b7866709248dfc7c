// Node module hooks that run this repository's TypeScript sources directly (for tests that
// spawn a process from src/): `.ts` files are compiled with SWC, with decorator metadata as
// Nest needs, and a relative `./x.js` import finds `./x.ts`. Registered by register-ts.mjs.
import { readFile } from 'node:fs/promises';

/** (source, path) → JavaScript: SWC by default, TypeScript's transpiler in worker threads. */
let compile = compileWithSwc;

export async function initialize(data) {
  if (data?.compiler === 'typescript') compile = await typescriptCompiler();
}

async function compileWithSwc(source, path) {
  const { transform } = await import('@swc/core');
  const { code } = await transform(source, {
    filename: path,
    sourceMaps: 'inline',
    module: { type: 'es6' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
  });
  return code;
}

async function typescriptCompiler() {
  const { default: ts } = await import('typescript');
  const compilerOptions = {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    useDefineForClassFields: false,
    inlineSourceMap: true,
  };
  return (source, path) => ts.transpileModule(source, { fileName: path, compilerOptions }).outputText;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTs = context.parentURL?.endsWith('.ts') ?? false;
    if (!fromTs || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = new URL(url).pathname;
  const source = await compile(await readFile(path, 'utf8'), path);
  return { format: 'module', source, shortCircuit: true };
}
