/** resolveHost on a real database (PGlite, or DATABASE_URL's PostgreSQL): each way of naming a host, ambiguity, none. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { hosts } from '../db/schema/index';
import { MAX_CANDIDATES, resolveHost } from './resolve';

let tdb: TestDatabase;
let db: Db;
const now = new Date('2026-11-01T00:00:00Z');

beforeAll(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
  await db.insert(hosts).values([
    { id: '0ddf9b13-80d6-4d41-b38a-16479fd41789', hostname: 'vm', fqdn: 'vm.corp.example', addresses: ['10.0.0.7', 'fe80::1'], hwSerial: 'SN-VM-1', enrolledAt: now },
    { id: '0ddf0000-1111-4d41-b38a-000000000002', hostname: 'web-1', addresses: ['10.0.0.8'], enrolledAt: now },
    { id: '7a000000-0000-4000-8000-000000000003', hostname: 'web-2', addresses: ['10.0.0.9'], enrolledAt: now },
    { id: '7b000000-0000-4000-8000-000000000004', hostname: 'web-2', addresses: ['10.0.0.9'], enrolledAt: now },
    // A re-enrolled laptop: the old record revoked, the new one active, both named the same.
    { id: 'aa000000-0000-4000-8000-000000000005', hostname: 'laptop-7', status: 'revoked', enrolledAt: now },
    { id: 'ab000000-0000-4000-8000-000000000006', hostname: 'laptop-7', enrolledAt: now },
    { id: 'ac000000-0000-4000-8000-000000000007', hostname: 'old-box', status: 'revoked', enrolledAt: now },
    // A host whose name is another host's id prefix: the name wins (tier 2 before tier 3).
    { id: 'ad000000-0000-4000-8000-000000000008', hostname: '7a00', enrolledAt: now },
  ]);
});

afterAll(async () => {
  await tdb?.cleanup();
});

async function refusal(q: string): Promise<{ code: string; message: string; details: Record<string, unknown> | undefined }> {
  try {
    await resolveHost(db, q);
  } catch (err) {
    if (isPfError(err)) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  throw new Error(`"${q}" resolved, expected a refusal`);
}

describe('resolveHost', () => {
  it('finds one host by its id, hostname (any case), FQDN, address, serial or id prefix', async () => {
    const vm = '0ddf9b13-80d6-4d41-b38a-16479fd41789';
    expect(await resolveHost(db, vm)).toEqual({ id: vm, hostname: 'vm', fqdn: 'vm.corp.example', status: 'active', matchedBy: 'id' });
    expect(await resolveHost(db, 'VM')).toMatchObject({ id: vm, matchedBy: 'hostname' });
    expect(await resolveHost(db, 'vm.corp.example')).toMatchObject({ id: vm, matchedBy: 'fqdn' });
    expect(await resolveHost(db, '10.0.0.7')).toMatchObject({ id: vm, matchedBy: 'address' });
    expect(await resolveHost(db, 'FE80::1')).toMatchObject({ id: vm, matchedBy: 'address' });
    expect(await resolveHost(db, 'sn-vm-1')).toMatchObject({ id: vm, matchedBy: 'serial' });
    expect(await resolveHost(db, '  0ddf9b ')).toMatchObject({ id: vm, matchedBy: 'id-prefix' });
    expect(await resolveHost(db, '0DDF9B13')).toMatchObject({ id: vm, matchedBy: 'id-prefix' });
  });

  it('refuses a query several hosts match, listing their names and ids', async () => {
    const byName = await refusal('web-2');
    expect(byName.code).toBe('PF_ERR_HOST_AMBIGUOUS');
    expect(byName.message).toContain('2 hosts match "web-2" by hostname');
    expect(byName.message).toContain('web-2 (7a000000-0000-4000-8000-000000000003)');
    expect(byName.message).toContain('web-2 (7b000000-0000-4000-8000-000000000004)');
    expect(byName.details).toEqual({
      candidates: [
        { id: '7a000000-0000-4000-8000-000000000003', hostname: 'web-2', status: 'active', lastSeenAt: null },
        { id: '7b000000-0000-4000-8000-000000000004', hostname: 'web-2', status: 'active', lastSeenAt: null },
      ],
      more: false,
    });
    expect((await refusal('10.0.0.9')).message).toContain('by address');
    // "0ddf" begins two ids.
    const byPrefix = await refusal('0ddf');
    expect(byPrefix.code).toBe('PF_ERR_HOST_AMBIGUOUS');
    expect(byPrefix.message).toContain('by id-prefix');
  });

  it('prefers a host that is not revoked, and finds a revoked one when it is the only match', async () => {
    expect(await resolveHost(db, 'laptop-7')).toMatchObject({ id: 'ab000000-0000-4000-8000-000000000006', status: 'active' });
    expect(await resolveHost(db, 'old-box')).toMatchObject({ id: 'ac000000-0000-4000-8000-000000000007', status: 'revoked' });
  });

  it('matches names before id prefixes', async () => {
    expect(await resolveHost(db, '7a00')).toMatchObject({ id: 'ad000000-0000-4000-8000-000000000008', matchedBy: 'hostname' });
  });

  it('answers PF_ERR_NOT_FOUND when nothing matches; wildcards and substrings match nothing', async () => {
    for (const q of ['nosuch', '%', '_ddf', 'we', '10.0.0.', 'corp.example']) {
      const r = await refusal(q);
      expect(r.code, q).toBe('PF_ERR_NOT_FOUND');
      expect(r.message, q).toContain(`no host matches "${q}"`);
    }
  });

  it(`lists at most ${MAX_CANDIDATES} candidates and says there are more`, async () => {
    await db.insert(hosts).values(Array.from({ length: MAX_CANDIDATES + 2 }, (_, i) => ({ id: `clone-${String(i).padStart(2, '0')}`, hostname: 'clone', enrolledAt: now })));
    const r = await refusal('clone');
    expect(r.message).toContain(`more than ${MAX_CANDIDATES} hosts match`);
    expect((r.details?.['candidates'] as unknown[]).length).toBe(MAX_CANDIDATES);
    expect(r.details?.['more']).toBe(true);
  });
});
