/**
 * Pure parsers for the advisory feeds: Ubuntu USN (OSV), Microsoft CVRF,
 * CISA KEV and FIRST EPSS. They read vendor files into the normalized shapes
 * of `types.ts`; storing them is the importer's job.
 */
export { type FeedPlace } from './feed-errors';
export { collectEpssRows, openEpssFile, parseEpssStream, type EpssOptions } from './epss';
export { parseKev, readKevFile } from './kev';
export { cvrfMonth, parseCvrf, readCvrfFile } from './msrc-cvrf';
export { compareBuilds, cveIndex, cveSummary, kbIndex } from './msrc-kb-index';
export { parseUbuntuEcosystem, type UbuntuEcosystem } from './usn-affected';
export { parseUsnOsv, readUsnOsvPath } from './usn-osv';
export type * from './types';
