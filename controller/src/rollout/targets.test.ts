/** Who a rollout touches: dpkg hosts with an older version; hosts the assessment lists as missing a patch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { hostPatchState, hosts, installedPackages } from '../db/schema/index';
import { packageTargets, patchTargets } from './targets';

const T0 = Date.UTC(2026, 0, 5);
/** The 'usn' host misses a high patch due first and a critical one due a day later: it rides as critical, due at the earlier date. */
const TIER_USN = 'critical';
const DUE_USN = new Date(Date.UTC(2026, 0, 10));
let tdb: TestDatabase;
let db: Db;

const pkg = (hostId: string, version: string, manager: 'dpkg' | 'rpm' = 'dpkg', name = 'openssl', arch = 'amd64') => ({ hostId, manager, name, arch, version, sourceName: name, sourceVersion: version });

beforeAll(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
  const ids = ['rc', 'equal', 'epoch', 'older', 'revoked', 'rpm', 'newer', 'multi', 'usn', 'pro', 'installed', 'win', 'mixed'];
  await db.insert(hosts).values(ids.map((id) => ({ id, hostname: id, enrolledAt: new Date(T0), status: id === 'revoked' ? ('revoked' as const) : ('active' as const) })));
  await db.insert(installedPackages).values([
    pkg('rc', '1.0~rc1'), // 1.0~rc1 < 1.0
    pkg('equal', '1.0'),
    pkg('epoch', '1:0.9'), // the epoch wins: newer than 1.0
    pkg('older', '0.9'),
    pkg('revoked', '0.9'),
    pkg('rpm', '0.9', 'rpm'),
    pkg('newer', '1.0+1'),
    pkg('multi', '1.0', 'dpkg', 'openssl', 'amd64'),
    pkg('multi', '0.8', 'dpkg', 'openssl', 'i386'),
    pkg('multi', '2.0', 'dpkg', 'curl'),
  ]);
  const at = new Date(T0);
  const usn = (hostId: string, patchId: string, packages: { name: string; installed: string; fixed: string }[], extra: { status?: 'missing' | 'installed'; requires?: string; tier?: 'critical' | 'high'; dueBy?: Date } = {}) => ({
    hostId,
    patchId,
    kind: 'usn' as const,
    status: extra.status ?? ('missing' as const),
    packages,
    requires: extra.requires ?? null,
    tier: extra.tier ?? null,
    dueBy: extra.dueBy ?? null,
    assessedAt: at,
  });
  const kb = (hostId: string, patchId: string, status: 'missing' | 'installed' = 'missing') => ({ hostId, patchId, kind: 'kb' as const, status, assessedAt: at });
  await db.insert(hostPatchState).values([
    usn('usn', 'USN-1-1', [{ name: 'openssl', installed: '1.0~rc1', fixed: '1.0' }], { tier: 'high', dueBy: DUE_USN }),
    usn(
      'usn',
      'USN-2-1',
      [
        { name: 'openssl', installed: '1.0~rc1', fixed: '1.0-1' },
        { name: 'libssl3', installed: '1.0~rc1', fixed: '1.0-1' },
      ],
      { tier: TIER_USN, dueBy: new Date(DUE_USN.getTime() + 86_400_000) },
    ),
    usn('pro', 'USN-1-1', [{ name: 'openssl', installed: '0.9', fixed: '1.0' }], { requires: 'ubuntu-pro' }),
    usn('installed', 'USN-1-1', [{ name: 'openssl', installed: '1.0', fixed: '1.0' }], { status: 'installed' }),
    usn('revoked', 'USN-1-1', [{ name: 'openssl', installed: '0.9', fixed: '1.0' }]),
    kb('win', 'KB5072033'),
    kb('win', 'KB5068861'),
    kb('mixed', 'KB890830'),
    kb('mixed', 'KB5072033'),
    kb('mixed', 'KB10000001', 'installed'),
  ]);
});

afterAll(async () => {
  await tdb.cleanup();
});

describe('packageTargets', () => {
  it('takes active dpkg hosts holding an older version (dpkg ordering), not equal, newer, revoked or rpm ones', async () => {
    const out = await packageTargets(db, [{ name: 'openssl', version: '1.0' }]);
    expect(out.map((t) => t.hostId)).toEqual(['multi', 'older', 'rc']);
    expect(out[0]).toEqual({ hostId: 'multi', packages: [{ name: 'openssl', version: '1.0' }], kb: null, tier: null, dueBy: null });
    expect(await packageTargets(db, [])).toEqual([]);
  });

  it('gives each host only the named packages it has', async () => {
    const out = await packageTargets(db, [
      { name: 'openssl', version: '1.0' },
      { name: 'curl', version: '2.1' },
    ]);
    expect([...(out.find((t) => t.hostId === 'multi')?.packages ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'curl', version: '2.1' },
      { name: 'openssl', version: '1.0' },
    ]);
    expect(out.find((t) => t.hostId === 'older')?.packages).toEqual([{ name: 'openssl', version: '1.0' }]);
  });
});

describe('patchTargets', () => {
  it('takes the fixed versions of missing USNs (the highest per package), skipping fixes that need Ubuntu Pro, installed patches and revoked hosts', async () => {
    const out = await patchTargets(db, ['USN-1-1', 'USN-2-1']);
    expect(out).toEqual([
      {
        hostId: 'usn',
        packages: [
          { name: 'openssl', version: '1.0-1' },
          { name: 'libssl3', version: '1.0-1' },
        ],
        kb: null,
        tier: TIER_USN,
        dueBy: DUE_USN,
      },
    ]);
    expect(await patchTargets(db, [])).toEqual([]);
  });

  it('gives a Windows host the newest missing KB, by number', async () => {
    const out = await patchTargets(db, ['KB5072033', 'KB5068861', 'KB890830', 'KB10000001']);
    expect(out).toEqual([
      { hostId: 'mixed', packages: [], kb: 'KB5072033', tier: null, dueBy: null },
      { hostId: 'win', packages: [], kb: 'KB5072033', tier: null, dueBy: null },
    ]);
  });
});
