/**
 * The package boundary rule (eslint.config.js, `patchfleet/boundaries`):
 * packages import each other only by package name, and the agent and the
 * controller never import each other. Run through ESLint's own API on
 * made-up sources placed in each package, and on the whole tree.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function boundaryMessages(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'patchfleet/boundaries').map((m) => m.message);
}

describe('package boundaries', () => {
  it('refuses a relative import that leaves the package', async () => {
    expect(await boundaryMessages('controller/src/assess/x.ts', "export { a } from '../../../agent/src/collect/windows/hotfix';\n")).toEqual([
      "'../../../agent/src/collect/windows/hotfix' leaves the controller package: import it by package name (@patchfleet/agent/...)",
    ]);
    expect(await boundaryMessages('agent/src/link/x.ts', "import { a } from '../../../test/support/db';\nexport { a };\n")).toHaveLength(1);
  });

  it('refuses the agent importing the controller and the controller importing the agent, by any name', async () => {
    expect(await boundaryMessages('agent/src/x.ts', "export { a } from '@patchfleet/controller/src/db/index';\n")).toEqual(['the agent package may not import @patchfleet/controller/src/db/index']);
    expect(await boundaryMessages('controller/src/x.ts', "export { a } from '@patchfleet/agent/src/cli';\n")).toEqual(['the controller package may not import @patchfleet/agent/src/cli']);
    expect(await boundaryMessages('shared/src/x.ts', "export { a } from '@patchfleet/controller/src/db/index';\n")).toHaveLength(1);
  });

  it('lets the dashboard import the typed API client of shared, and nothing else of shared', async () => {
    expect(await boundaryMessages('dashboard/src/api/x.ts', "export { TypedApi } from '@patchfleet/shared/api';\n")).toEqual([]);
    expect(await boundaryMessages('dashboard/src/api/x.ts', "export { a } from '@patchfleet/shared/crypto';\n")).toEqual(['the dashboard package may not import @patchfleet/shared/crypto']);
    expect(await boundaryMessages('dashboard/src/api/x.ts', "export { a } from '@patchfleet/shared';\n")).toHaveLength(1);
  });

  it('allows imports inside a package and by package name', async () => {
    expect(await boundaryMessages('controller/src/assess/x.ts', "export { a } from '../catalog/store';\nexport { b } from '@patchfleet/shared/windows';\n")).toEqual([]);
    expect(await boundaryMessages('test/e2e/x.ts', "export { a } from '@patchfleet/controller/src/db/index';\nexport { b } from '@patchfleet/agent/src/cli';\n")).toEqual([]);
  });

  it('holds for every file in the tree', async () => {
    // Only this rule: the whole tree with every rule is `pnpm lint`'s job, and took over 2 minutes on a loaded CI machine.
    const boundariesOnly = new ESLint({ cwd: root, ruleFilter: ({ ruleId }) => ruleId === 'patchfleet/boundaries' });
    const results = await boundariesOnly.lintFiles(['agent', 'controller', 'shared', 'test', 'deploy', 'dashboard/src']);
    const broken = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'patchfleet/boundaries').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(broken).toEqual([]);
    // The filter keeps the rule (one that matched nothing would pass vacuously), and only it.
    expect(results.length).toBeGreaterThan(500);
    const [bad] = await boundariesOnly.lintText("export { a } from '@patchfleet/agent/src/cli';\nvar unused = 1;\n", { filePath: `${root}controller/src/x.ts` });
    expect(bad?.messages.map((m) => m.ruleId)).toEqual(['patchfleet/boundaries']);
  }, 300_000);
});
