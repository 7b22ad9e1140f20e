/**
 * Which hosts an agent-version rollout touches: active hosts whose agent
 * last said (hello, host_sessions.agent_version) it runs an older version,
 * on a platform the release has an executable for.
 */
import { sql } from 'drizzle-orm';
import { compareAgentVersions, type ReleasePlatform } from '@patchfleet/shared/release';
import { AGENT_VERSION_RE } from '@patchfleet/shared/release';
import type { Db, Tx } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import type { HostTarget } from './targets';

/** The release platform of a host from its reported OS platform and machine architecture, if any. */
export function releasePlatformOf(osPlatform: string, arch: string): ReleasePlatform | undefined {
  const x64 = ['x86_64', 'x64', 'amd64'].includes(arch.toLowerCase());
  if (!x64) return undefined;
  if (osPlatform === 'linux') return 'linux-x64';
  if (osPlatform === 'windows' || osPlatform === 'win32') return 'win-x64';
  return undefined;
}

/** Hosts to update to `version`, given the platforms the release has files for. */
export async function agentTargets(db: Db | Tx, version: string, platforms: readonly ReleasePlatform[]): Promise<HostTarget[]> {
  const rows = resultRows<{ id: string; os_platform: string; arch: string; agent_version: string | null }>(
    await db.execute(sql`
      select h.id, h.os_platform, h.arch,
        (select s.agent_version from host_sessions s where s.host_id = h.id order by s.connected_at desc limit 1) as agent_version
      from hosts h where h.status = 'active' order by h.id`),
  );
  return rows
    .filter((r) => {
      const platform = releasePlatformOf(r.os_platform, r.arch);
      // An agent that never said its version (or says something else than MAJOR.MINOR.PATCH) is left alone.
      if (!platform || !platforms.includes(platform) || !r.agent_version || !AGENT_VERSION_RE.test(r.agent_version)) return false;
      return compareAgentVersions(r.agent_version, version) < 0;
    })
    .map((r) => ({ hostId: r.id, packages: [], kb: null, tier: null, dueBy: null }));
}
