/**
 * Whether any imported advisory source covers a host at all. An empty
 * missing list means "fully patched" only when a feed covers the host's
 * operating system; for a Debian machine, an Ubuntu release whose USNs were
 * never imported, or a Windows build no imported MSRC document lists, it
 * means "unknown", and the API, the CLI and `pnpm start` say so.
 */
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { HostFacts } from '@patchfleet/shared';
import { ubuntuReleaseEcosystems, windowsProductNames, productKey } from '../catalog/applicability/index';
import { catalogKbProducts, catalogUsnFixes, hosts } from '../db/schema/index';
import type { Db } from '../db/index';

/** What the catalog can say about a host. */
export interface PatchCoverage {
  /** True when an imported feed covers the host's OS: then an empty missing list means nothing is missing. */
  covered: boolean;
  /** The feed that covers it. */
  source: 'usn' | 'msrc' | null;
  /** Why not covered, in plain words with what to do; null when covered. */
  reason: string | null;
}

type CoverageFacts = Pick<HostFacts, 'os'> & { windows?: { installationType?: string | null } | null };

/** The coverage of a host from its reported facts (null before its first report). */
export async function coverageOf(db: Db, facts: CoverageFacts | null): Promise<PatchCoverage> {
  if (facts === null) return { covered: false, source: null, reason: 'the host has not reported its inventory yet' };
  const os = facts.os;
  const eco = ubuntuReleaseEcosystems(os.id, os.version);
  if (eco !== null) {
    const [row] = await db
      .select({ one: sql<number>`1` })
      .from(catalogUsnFixes)
      .where(and(eq(catalogUsnFixes.release, eco.release), isNotNull(catalogUsnFixes.fixedVersion), isNull(catalogUsnFixes.proService)))
      .limit(1);
    if (row) return { covered: true, source: 'usn', reason: null };
    return {
      covered: false,
      source: null,
      reason: `no imported Ubuntu Security Notice covers Ubuntu ${eco.release}, so missing patches are unknown, not zero: import the USN feed (pnpm patchfleet catalog import --usn-osv ...)`,
    };
  }
  if (os.platform === 'windows') {
    const names = windowsProductNames({ build: os.version, arch: os.arch, installationType: facts.windows?.installationType ?? null });
    if (names.length > 0) {
      const [row] = await db
        .select({ one: sql<number>`1` })
        .from(catalogKbProducts)
        .where(inArray(sql`lower(${catalogKbProducts.name})`, names.map(productKey)))
        .limit(1);
      if (row) return { covered: true, source: 'msrc', reason: null };
    }
    const what = names[0] ?? `Windows build ${os.version}`;
    return {
      covered: false,
      source: null,
      reason: `no imported Microsoft (MSRC CVRF) document covers ${what}, so missing patches are unknown, not zero: import the month's CVRF document (pnpm patchfleet catalog import --msrc-cvrf ...)`,
    };
  }
  const name = [os.id || os.platform, os.version].filter(Boolean).join(' ');
  return {
    covered: false,
    source: null,
    reason: `no advisory source covers ${name}: Patchfleet assesses Ubuntu (Ubuntu Security Notices) and Windows (Microsoft security updates) hosts, so this host's missing patches are unknown, not zero`,
  };
}

/** The coverage of a stored host; undefined when there is no such host. */
export async function hostCoverage(db: Db, hostId: string): Promise<PatchCoverage | undefined> {
  const [row] = await db.select({ facts: hosts.facts }).from(hosts).where(eq(hosts.id, hostId)).limit(1);
  if (row === undefined) return undefined;
  return coverageOf(db, (row.facts as CoverageFacts | null) ?? null);
}
