/**
 * Bundles the agent into one file, dist/patchfleet-agent.mjs, and writes the
 * esbuild metafile beside it (dist/meta.json) so a test can prove what went
 * into it. The single-executable build (Node runtime embedded) starts from
 * this file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function bundleAgent(outDir = `${root}dist`): Promise<{ outfile: string; metafile: string; inputs: string[]; bytes: number }> {
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}/patchfleet-agent.mjs`;
  const result = await build({
    entryPoints: [`${root}src/cli.ts`],
    outfile,
    // The metafile's input paths are relative to this folder (the agent package) wherever the build runs from; the SBOM reads them.
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    metafile: true,
    legalComments: 'linked',
    minify: true,
    keepNames: true,
    // CommonJS dependencies (systeminformation, ws) call require(); give ESM output one.
    banner: { js: "import { createRequire as __pfCreateRequire } from 'node:module'; const require = __pfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const metafile = `${outDir}/meta.json`;
  writeFileSync(metafile, JSON.stringify(result.metafile));
  const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  return { outfile, metafile, inputs: Object.keys(result.metafile.inputs), bytes: out?.bytes ?? 0 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, inputs, bytes } = await bundleAgent();
  process.stderr.write(`agent bundle: ${outfile} (${(bytes / 1024).toFixed(0)} KiB, ${inputs.length} inputs)\n`);
}
