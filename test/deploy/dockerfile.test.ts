/**
 * The controller's Dockerfile, checked structurally (no container engine runs in CI; deploy/container/check-image.sh
 * builds and runs the image where podman can): two stages, a runtime stage that holds only what the build stage
 * deployed, a non-root user, a HEALTHCHECK on /healthz over HTTPS, and COPY sources that exist. That the runtime
 * stage's contents suffice to run the controller is controller-tree.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes';
import { envOf, execForm, healthcheckCommand, parseDockerfile, readDockerfile } from './dockerfile';

const { globalArgs, stages } = readDockerfile();
const build = stages.find((s) => s.name === 'build');
const runtime = stages[stages.length - 1];
const runs = (stage: typeof build) => (stage?.instructions ?? []).filter((i) => i.op === 'RUN').map((i) => i.args);

describe('deploy/container/Dockerfile', () => {
  it('has a build stage and a final runtime stage on the same Node.js base', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(build?.from).toBe('${NODE_IMAGE}');
    expect(runtime?.from).toBe('${NODE_IMAGE}');
    expect(globalArgs.find((a) => a.op === 'ARG')?.args).toMatch(/^NODE_IMAGE=\S*node:20-bookworm-slim$/);
  });

  it('builds with the frozen lockfile and deploys only the controller with its production dependencies', () => {
    const commands = runs(build).join('\n');
    expect(commands).toContain('pnpm install --frozen-lockfile');
    expect(commands).toContain('pnpm --filter @patchfleet/controller... build');
    expect(commands).toContain('pnpm --config.inject-workspace-packages=true --filter @patchfleet/controller deploy --prod /out');
    // The same deploy command the systemd install runs (and controller-tree.test.ts starts the controller from).
    expect(readFileSync(join(REPO_ROOT, 'deploy/install/install-controller.sh'), 'utf8')).toContain('pnpm --config.inject-workspace-packages=true --filter @patchfleet/controller deploy --prod');
  });

  it('copies into the runtime stage only what the build stage deployed, and runs no package manager there', () => {
    const copies = runtime?.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD') ?? [];
    expect(copies.map((c) => c.args)).toEqual(['--from=build /out /opt/patchfleet/controller']);
    expect(runs(runtime).join('\n')).not.toMatch(/\b(pnpm|npm|npx|yarn|tsx)\b/);
  });

  it('runs as a fixed non-root uid that the image creates, and owns its data directory', () => {
    const users = runtime?.instructions.filter((i) => i.op === 'USER') ?? [];
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0]?.args ?? '').split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    const created = runs(runtime).join('\n');
    expect(created).toContain(`useradd --system --uid ${uid} --gid ${gid}`);
    const dataDir = envOf(runtime!).PATCHFLEET_DATA_DIR;
    expect(dataDir).toBe('/var/lib/patchfleet-controller');
    expect(created).toContain(`install -d -o ${uid} -g ${gid} -m 0700 ${dataDir}`);
    // USER comes after every RUN: nothing runs as root at start.
    const ops = runtime!.instructions.map((i) => i.op);
    expect(ops.lastIndexOf('RUN')).toBeLessThan(ops.indexOf('USER'));
  });

  it('exposes the port it listens on, declares the data directory a volume and starts the bundle with node', () => {
    const env = envOf(runtime!);
    expect(runtime?.instructions.find((i) => i.op === 'EXPOSE')?.args).toBe(env.PATCHFLEET_PORT);
    expect(env.PATCHFLEET_HOST).toBe('0.0.0.0');
    expect(execForm(runtime!.instructions.find((i) => i.op === 'VOLUME')!.args)).toEqual([env.PATCHFLEET_DATA_DIR]);
    expect(execForm(runtime!.instructions.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['node', '/opt/patchfleet/controller/dist/patchfleet-controller.mjs']);
    expect(execForm(runtime!.instructions.find((i) => i.op === 'CMD')!.args)).toEqual(['serve']);
  });

  it('checks health on /healthz over HTTPS without verifying the controller\'s own certificate', () => {
    const cmd = healthcheckCommand(runtime!);
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(cmd[2]).toContain("path:'/healthz'");
    expect(cmd[2]).toContain("require('node:https')");
    expect(cmd[2]).toContain('rejectUnauthorized:false');
    expect(cmd[2]).toContain('process.env.PATCHFLEET_PORT');
    // Running it is controller-tree.test.ts: exit 0 against a live controller, 1 when nothing answers.
  });

  it('copies only files that exist, and keeps local state and installed dependencies out of the context', () => {
    for (const i of build?.instructions.filter((x) => x.op === 'COPY') ?? []) {
      const parts = i.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        if (src === '.') continue;
        expect(existsSync(join(REPO_ROOT, src)), `${src} (COPY ${i.args})`).toBe(true);
      }
    }
    // Every workspace package's manifest is copied before the install layer (else pnpm install --frozen-lockfile fails).
    const workspace = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8');
    const packages = [...workspace.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]).filter((p) => p && existsSync(join(REPO_ROOT, p, 'package.json')));
    expect(packages.length).toBeGreaterThanOrEqual(5);
    const copied = (build?.instructions ?? []).filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const p of packages) expect(copied).toContain(`${p}/package.json ${p}/`);
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.patchfleet', '.git']) expect(ignore).toContain(pattern);
  });

  it('the parser this test relies on sees what a broken Dockerfile lacks', () => {
    const broken = parseDockerfile('FROM node AS build\nRUN true\nFROM node AS runtime\nCOPY . /app\nCMD ["node", "x"]\n');
    expect(broken.stages[1]?.instructions.some((i) => i.op === 'USER')).toBe(false);
    expect(() => healthcheckCommand(broken.stages[1]!)).toThrow(/no HEALTHCHECK/);
    const continued = parseDockerfile('FROM a\nRUN one \\\n  && two\n');
    expect(continued.stages[0]?.instructions[0]).toEqual({ op: 'RUN', args: 'one && two' });
  });
});
