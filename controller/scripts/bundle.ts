/**
 * Bundles the controller's own code (controller/src and the workspace packages
 * it imports, such as @patchfleet/shared, which ship TypeScript sources) into
 * dist/patchfleet-controller.mjs, so production runs it with plain `node`
 * (no tsx). Packages from the registry stay external: they are installed
 * beside it by `pnpm deploy --prod` (PGlite loads its WebAssembly files from
 * its own folder, pino and ws are best left as published). The committed
 * migrations are copied to dist/migrations, where the bundle's
 * `new URL('./migrations', import.meta.url)` looks for them.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { dependencies: Record<string, string> };
/** The controller's own registry dependencies: `pnpm deploy --prod` installs exactly these beside the bundle. */
const RUNTIME_PACKAGES = Object.keys(manifest.dependencies).filter((name) => !manifest.dependencies[name]?.startsWith('workspace:'));
const packageOf = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/**
 * Imports of the controller's registry dependencies stay imports; everything else is bundled: the workspace packages
 * (TypeScript sources) and what they import (tweetnacl, ajv-formats for @patchfleet/shared), which the controller's
 * node_modules does not hold under pnpm's strict layout.
 */
const runtimePackagesExternal: Plugin = {
  name: 'runtime-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (RUNTIME_PACKAGES.includes(packageOf(args.path)) ? { path: args.path, external: true } : undefined));
  },
};

export async function bundleController(outDir = `${root}dist`): Promise<{ outfile: string; inputs: string[]; external: string[]; bytes: number }> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}/patchfleet-controller.mjs`;
  const result = await build({
    entryPoints: [`${root}src/cli.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    metafile: true,
    sourcemap: 'linked',
    keepNames: true,
    plugins: [runtimePackagesExternal],
    // CommonJS code bundled in (tweetnacl) calls require() for node builtins; give ESM output one.
    banner: { js: "import { createRequire as __pfCreateRequire } from 'node:module'; const require = __pfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  cpSync(`${root}src/db/migrations`, `${outDir}/migrations`, { recursive: true });
  writeFileSync(`${outDir}/meta.json`, JSON.stringify(result.metafile));
  const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const external = [...new Set((out?.imports ?? []).filter((i) => i.external).map((i) => i.path))].sort();
  return { outfile, inputs: Object.keys(result.metafile.inputs), external, bytes: out?.bytes ?? 0 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, inputs, external, bytes } = await bundleController();
  process.stderr.write(`controller bundle: ${outfile} (${(bytes / 1024).toFixed(0)} KiB, ${inputs.length} inputs, ${external.length} external imports)\n`);
}
