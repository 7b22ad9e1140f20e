/**
 * deploy/systemd/patchfleet-controller.service: `systemd-analyze verify` accepts it (and refuses a unit whose
 * ExecStart names a missing program, so the check can fail), it runs the bundle with node rather than pnpm from a
 * checkout, and it is hardened. That ExecStart's file exists where install-controller.sh puts it, and starts the
 * controller, is controller-tree.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes';
import { unitDirectives } from './systemd';

const UNIT = join(REPO_ROOT, 'deploy/systemd/patchfleet-controller.service');
const text = readFileSync(UNIT, 'utf8');
const unit = unitDirectives(text);
const dir = mkdtempSync(join(tmpdir(), 'pf-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(path: string): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`systemd-analyze could not run (.ci/run installs systemd): ${r.error.message}`);
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('deploy/systemd/patchfleet-controller.service', () => {
  it('passes systemd-analyze verify, which refuses the same unit with a missing program', () => {
    const ok = verify(UNIT);
    expect(ok.output).toBe('');
    expect(ok.status).toBe(0);
    const broken = join(dir, 'patchfleet-controller.service');
    writeFileSync(broken, text.replace('ExecStart=/usr/bin/node ', 'ExecStart=/usr/bin/pf-no-such-node '));
    const bad = verify(broken);
    expect(bad.output).toContain('/usr/bin/pf-no-such-node');
    expect(bad.status).not.toBe(0);
  });

  it('runs the controller bundle with node from the installed tree, as its own user, on the data directory', () => {
    expect(unit.ExecStart).toEqual(['/usr/bin/node /opt/patchfleet/controller/dist/patchfleet-controller.mjs serve --data-dir /var/lib/patchfleet-controller']);
    expect(text).not.toMatch(/^ExecStart=.*\b(pnpm|tsx|npx)\b/m);
    expect(unit.WorkingDirectory).toEqual(['/opt/patchfleet/controller']);
    expect(unit.User).toEqual(['patchfleet']);
    expect(unit.StateDirectory).toEqual(['patchfleet-controller']);
    expect(unit.EnvironmentFile).toEqual(['-/etc/patchfleet/controller.env']);
  });

  it('is hardened: read-only system, writes only to its data directory, no privilege gain, a large descriptor limit', () => {
    const one = (k: string) => unit[k]?.[0];
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')).toBe('/var/lib/patchfleet-controller');
    expect(one('NoNewPrivileges')).toBe('true');
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    for (const k of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectControlGroups', 'RestrictSUIDSGID', 'LockPersonality']) {
      expect(one(k), k).toBe('true');
    }
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    // V8 compiles code at run time: MemoryDenyWriteExecute would stop node.
    expect(unit.MemoryDenyWriteExecute).toBeUndefined();
  });
});
