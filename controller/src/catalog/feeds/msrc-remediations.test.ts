/** CVRF Workaround/Mitigation remediations: parsed from the real September 2025 document, stored per CVE (newest document wins). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cvrfPath } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../../db/index';
import { catalogRemediations } from '../../db/schema/index';
import { saveCatalogFeeds } from '../store';
import { plainText } from './msrc-remediations';
import { readCvrfFile } from './msrc-cvrf';
import type { CvrfDocument } from './types';

describe('CVRF workarounds and mitigations', () => {
  let sep: CvrfDocument;
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    sep = await readCvrfFile(cvrfPath('Sep'));
    tdb = await openTestDatabase();
    db = tdb.database.db;
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('reads the one Mitigation of September 2025 as plain text, and no others', () => {
    const all = sep.vulnerabilities.flatMap((v) => v.workarounds.map((w) => ({ cve: v.cve, ...w })));
    expect(all).toEqual([
      {
        cve: 'CVE-2025-55232',
        type: 'Mitigation',
        ordinal: 0,
        description: 'Customers should make sure the HPC Pack clusters are running in a trusted network secured by firewall rules especially for the TCP port 5999.',
        url: null,
        productIds: [],
      },
    ]);
    expect(sep.vulnerabilities.find((v) => v.cve === 'CVE-2025-55232')?.otherRemediations['Mitigation']).toBe(1);
  });

  it('turns MSRC HTML into text', () => {
    expect(plainText('<p>Disable &quot;SMBv1&quot; &amp; reboot.</p>\n<ul><li>one</li><li>two&#39;s</li></ul>')).toBe('Disable "SMBv1" & reboot.\n\none\ntwo\'s');
  });

  it('stores them per CVE, keeps the newest document for a CVE whatever the import order, and re-imports as unchanged', async () => {
    const first = await saveCatalogFeeds(db, { cvrf: [sep] });
    expect(first.tables.remediations).toEqual({ inserted: 1, updated: 0, unchanged: 0, deleted: 0 });
    const again = await saveCatalogFeeds(db, { cvrf: [sep] });
    expect(again.tables.remediations).toEqual({ inserted: 0, updated: 0, unchanged: 1, deleted: 0 });

    // A later month lists the same CVE again (a late revision) with a workaround instead.
    const v = sep.vulnerabilities.find((x) => x.cve === 'CVE-2025-55232')!;
    const later: CvrfDocument = {
      ...sep,
      id: '2025-Oct',
      month: '2025-10',
      vulnerabilities: [{ ...v, workarounds: [{ type: 'Workaround', ordinal: 0, description: 'Block TCP 5999 at the edge.', url: null, productIds: ['12455'] }] }],
    };
    const oct = await saveCatalogFeeds(db, { cvrf: [later] });
    expect(oct.tables.remediations).toMatchObject({ inserted: 1, deleted: 1 });
    // September again (older): the October rows stay.
    await saveCatalogFeeds(db, { cvrf: [sep] });
    const rows = await db.select().from(catalogRemediations);
    expect(rows).toEqual([{ cveId: 'CVE-2025-55232', type: 'Workaround', ordinal: 0, description: 'Block TCP 5999 at the edge.', url: null, productIds: ['12455'], documentId: '2025-Oct' }]);
  });
});
