/** Agent-version rollouts: targets by reported version and platform, update-agent commands, and a rollback that only stops. */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { hostSessions, hosts, rolloutHosts } from '../db/schema/index';
import type { AgentUpdateContent } from '../db/schema/rollouts';
import { releasePlatformOf } from './agent-targets';
import { changeRolloutState } from './rollout-control';
import { HOUR, RolloutKit, T0 } from './rollout-kit.test-support';

const release: AgentUpdateContent = {
  version: '0.2.0',
  manifest: 'agent-release.json',
  files: [{ platform: 'linux-x64', name: 'patchfleet-agent-linux-x64-0.2.0', sha256: 'cd'.repeat(32), size: 1234 }],
};

let kit: RolloutKit;
beforeEach(async () => {
  kit = await RolloutKit.open();
  // l1: linux x86_64 on 0.1.0 (gets it); l2: already 0.2.0; l3: 0.10.0 (newer); w1: Windows (no file in the release); a1: arm64; n1: never said its version.
  await kit.addHosts(['l1', 'l2', 'l3', 'w1', 'a1', 'n1'], 'Test');
  const facts: Record<string, [string, string, string | null]> = { l1: ['linux', 'x86_64', '0.1.0'], l2: ['linux', 'x86_64', '0.2.0'], l3: ['linux', 'x86_64', '0.10.0'], w1: ['windows', 'AMD64', '0.1.0'], a1: ['linux', 'aarch64', '0.1.0'], n1: ['linux', 'x86_64', null] };
  for (const [id, [osPlatform, arch, version]] of Object.entries(facts)) {
    await kit.db.update(hosts).set({ osPlatform, arch }).where(eq(hosts.id, id));
    if (version) await kit.db.insert(hostSessions).values({ id: `s_${id}`, hostId: id, controllerId: 'c1', agentVersion: version, connectedAt: new Date(T0 - HOUR), lastSeenAt: new Date(T0 - HOUR) });
  }
});
afterEach(async () => {
  await kit.cleanup();
});

describe('agent-version rollouts', () => {
  it('targets active hosts whose agent reports an older version on a platform the release has a file for', async () => {
    const id = await kit.start(T0, { packages: [], agentUpdate: release, name: undefined });
    const rows = await kit.db.select().from(rolloutHosts).where(eq(rolloutHosts.rolloutId, id));
    expect(rows.map((r) => r.hostId)).toEqual(['l1']);
    const ro = await kit.rollout(id);
    expect(ro.name).toBe('patchfleet-agent 0.2.0');
    expect(ro.content.agentUpdate).toEqual(release);
  });

  it('orders update-agent with the version, metadata and this platform file instead of install; a success finishes the host', async () => {
    const id = await kit.start(T0, { packages: [], agentUpdate: release });
    expect(await kit.tick(T0 + 1000, ['l1'])).toEqual(['l1']);
    const [cmd] = await kit.commandsOf('l1');
    expect(cmd).toMatchObject({
      action: 'update-agent',
      rolloutId: id,
      params: { version: '0.2.0', manifest: 'agent-release.json', file: 'patchfleet-agent-linux-x64-0.2.0', sha256: 'cd'.repeat(32), size: 1234, confirmWithinSec: 300 },
    });
    await kit.finish('l1', T0 + 2000, 'succeeded', {}, 'update-agent');
    await kit.tick(T0 + 3000, ['l1']);
    expect((await kit.host(id, 'l1')).state).toBe('succeeded');
  });

  it('stops instead of rolling back: no command goes out and the rollout ends cancelled', async () => {
    const id = await kit.start(T0, { packages: [], agentUpdate: release });
    await kit.tick(T0 + 1000, ['l1']);
    await kit.finish('l1', T0 + 2000, 'succeeded', {}, 'update-agent');
    await kit.tick(T0 + 3000, ['l1']);
    await kit.db.transaction((tx) => changeRolloutState(tx, id, 'rollback', { actor: 'token:tk_admin', realNow: T0 + 4000 }));
    await kit.tick(T0 + 5000, ['l1']);
    expect((await kit.commandsOf('l1')).map((c) => c.action)).toEqual(['update-agent']);
    const ro = await kit.rollout(id);
    expect(ro.state).toBe('cancelled');
    expect(ro.stateReason).toMatch(/agents never downgrade/);
  });

  it('refuses patches or packages in the same rollout, and says so when no host needs the version', async () => {
    const mixed = await kit.start(T0, { agentUpdate: release }).catch((err: unknown) => err);
    expect(isPfError(mixed) && mixed.code).toBe('PF_ERR_VALIDATION');
    const none = await kit.start(T0, { packages: [], agentUpdate: { ...release, version: '0.0.9' } }).catch((err: unknown) => err);
    expect(isPfError(none) && none.code).toBe('PF_ERR_NOTHING_TO_ROLL_OUT');
  });

  it('maps reported platforms and machines to release platforms', () => {
    expect(releasePlatformOf('linux', 'x86_64')).toBe('linux-x64');
    expect(releasePlatformOf('windows', 'AMD64')).toBe('win-x64');
    expect(releasePlatformOf('linux', 'aarch64')).toBeUndefined();
    expect(releasePlatformOf('darwin', 'x64')).toBeUndefined();
  });
});
