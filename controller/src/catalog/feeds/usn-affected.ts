/**
 * One `affected[]` entry of a Ubuntu OSV record: ecosystem, source package,
 * fixed version, binaries, availability and the per-release CVE map.
 */
import { isCveId } from './formats';
import {
  type JsonPlace,
  failAt,
  readArray,
  readObject,
  readOptionalArray,
  readOptionalString,
  readString,
  readStringList,
} from './json-reader';
import type { OsvSeverity, UbuntuPriority, UsnAffected, UsnBinary, UsnCveSeverity, UsnRangeEvent } from './types';

/** Parts of a Ubuntu OSV ecosystem string. */
export interface UbuntuEcosystem {
  release: string;
  lts: boolean;
  pro: boolean;
  proService: string | null;
  variant: string | null;
}

// Ubuntu[:Pro][:Service]:YY.MM[:LTS][:Variant...], per Canonical's OSV documentation:
// Ubuntu:24.04:LTS, Ubuntu:25.04, Ubuntu:Pro:18.04:LTS, Ubuntu:Pro:FIPS-updates:22.04:LTS,
// Ubuntu:Pro:24.04:LTS:Realtime:Kernel.
const ECOSYSTEM = /^Ubuntu(:Pro)?(?::([A-Za-z][A-Za-z0-9-]*))?:(\d{2}\.\d{2})(:LTS)?(?::([A-Za-z][A-Za-z0-9:-]*))?$/;

/** Splits an ecosystem such as `Ubuntu:Pro:18.04:LTS`; null when it is not a Ubuntu ecosystem. */
export function parseUbuntuEcosystem(ecosystem: string): UbuntuEcosystem | null {
  const m = ECOSYSTEM.exec(ecosystem);
  if (m === null || m[3] === undefined) return null;
  return { release: m[3], lts: m[4] !== undefined, pro: m[1] !== undefined, proService: m[2] ?? null, variant: m[5] ?? null };
}

const PRIORITIES: readonly UbuntuPriority[] = ['untriaged', 'negligible', 'low', 'medium', 'high', 'critical'];

// Vector shapes per OSV severity type; CVSS v2 vectors carry no prefix.
const CVSS_SHAPE: Record<string, RegExp> = {
  CVSS_V2: /^AV:[LAN]\/AC:[HML]\/Au:[MSN]\/C:[NPC]\/I:[NPC]\/A:[NPC]/,
  CVSS_V3: /^CVSS:3\.[01]\/AV:[NALP]\//,
  CVSS_V4: /^CVSS:4\.0\/AV:[NALP]\//,
};

/** Reads an OSV `severity` list, checking Ubuntu priorities and CVSS vector shapes. Unknown types are kept verbatim. */
export function readOsvSeverity(place: JsonPlace, value: unknown, path: string): OsvSeverity[] {
  return readOptionalArray(place, value, path).map((item, i) => {
    const p = `${path}[${i}]`;
    const obj = readObject(place, item, p);
    const type = readString(place, obj['type'], `${p}.type`);
    const score = readString(place, obj['score'], `${p}.score`);
    if (type === 'Ubuntu' && !PRIORITIES.includes(score as UbuntuPriority)) {
      failAt(place, `${p}.score`, `unknown Ubuntu priority "${score}"`);
    }
    const shape = CVSS_SHAPE[type];
    if (shape !== undefined && !shape.test(score)) failAt(place, `${p}.score`, `"${score}" is not a ${type} vector`);
    return { type, score };
  });
}

function summarizeSeverity(cveId: string, severity: OsvSeverity[]): UsnCveSeverity {
  const priority = severity.find((s) => s.type === 'Ubuntu');
  const vectors = severity.filter((s) => CVSS_SHAPE[s.type] !== undefined).map((s) => s.score);
  return { cveId, ubuntuPriority: (priority?.score as UbuntuPriority | undefined) ?? null, cvssVectors: [...new Set(vectors)] };
}

const EVENT_KINDS: readonly UsnRangeEvent['kind'][] = ['introduced', 'fixed', 'last_affected', 'limit'];

function readRanges(place: JsonPlace, value: unknown, path: string): UsnRangeEvent[] {
  const events: UsnRangeEvent[] = [];
  readOptionalArray(place, value, path).forEach((rangeValue, r) => {
    const rp = `${path}[${r}]`;
    const range = readObject(place, rangeValue, rp);
    const type = readString(place, range['type'], `${rp}.type`);
    // Ubuntu versions are dpkg versions, published as ECOSYSTEM ranges; SEMVER/GIT would need other ordering.
    if (type !== 'ECOSYSTEM') failAt(place, `${rp}.type`, `range type "${type}" is not supported (expected ECOSYSTEM)`);
    readArray(place, range['events'], `${rp}.events`).forEach((eventValue, e) => {
      const ep = `${rp}.events[${e}]`;
      const keys = Object.keys(readObject(place, eventValue, ep));
      const kind = keys[0] as UsnRangeEvent['kind'] | undefined;
      if (keys.length !== 1 || kind === undefined || !EVENT_KINDS.includes(kind)) {
        failAt(place, ep, `expected one of ${EVENT_KINDS.join('/')}, got keys [${keys.join(', ')}]`);
      }
      events.push({ kind, version: readString(place, (eventValue as Record<string, unknown>)[kind], `${ep}.${kind}`) });
    });
  });
  return events;
}

function readBinaries(place: JsonPlace, value: unknown, path: string): UsnBinary[] {
  return readOptionalArray(place, value, path).map((item, i) => {
    const obj = readObject(place, item, `${path}[${i}]`);
    return {
      name: readString(place, obj['binary_name'], `${path}[${i}].binary_name`),
      version: readString(place, obj['binary_version'], `${path}[${i}].binary_version`),
    };
  });
}

function readCvesMap(place: JsonPlace, value: unknown, path: string, ecosystem: string): UsnCveSeverity[] | null {
  if (value === undefined) return null;
  const map = readObject(place, value, path);
  const mapEcosystem = readString(place, map['ecosystem'], `${path}.ecosystem`);
  // A mismatch would attribute CVEs to the wrong release; refuse rather than guess.
  if (mapEcosystem !== ecosystem) failAt(place, `${path}.ecosystem`, `"${mapEcosystem}" differs from package ecosystem "${ecosystem}"`);
  return readArray(place, map['cves'], `${path}.cves`).map((item, i) => {
    const p = `${path}.cves[${i}]`;
    const cve = readObject(place, item, p);
    const cveId = readString(place, cve['id'], `${p}.id`);
    if (!isCveId(cveId)) failAt(place, `${p}.id`, `"${cveId}" is not a CVE id`);
    return summarizeSeverity(cveId, readOsvSeverity(place, cve['severity'], `${p}.severity`));
  });
}

function subscriptionOf(availability: string | null): boolean | null {
  if (availability === null) return null;
  if (availability === 'No subscription required') return false;
  if (availability.startsWith('Available with Ubuntu Pro')) return true;
  return null;
}

/** Parses `affected[index]` of a USN record. */
export function parseUsnAffected(place: JsonPlace, value: unknown, index: number): UsnAffected {
  const path = `affected[${index}]`;
  const entry = readObject(place, value, path);
  const pkg = readObject(place, entry['package'], `${path}.package`);
  const ecosystem = readString(place, pkg['ecosystem'], `${path}.package.ecosystem`);
  const parts = parseUbuntuEcosystem(ecosystem);
  if (parts === null) failAt(place, `${path}.package.ecosystem`, `"${ecosystem}" is not a Ubuntu ecosystem`);

  const rangeEvents = readRanges(place, entry['ranges'], `${path}.ranges`);
  const fixed = [...new Set(rangeEvents.filter((e) => e.kind === 'fixed').map((e) => e.version))];
  // One USN fixes one source version per release; several would need range logic the importer does not have.
  if (fixed.length > 1) failAt(place, `${path}.ranges`, `more than one fixed version: ${fixed.join(', ')}`);

  const specific = entry['ecosystem_specific'] === undefined ? {} : readObject(place, entry['ecosystem_specific'], `${path}.ecosystem_specific`);
  const availability = readOptionalString(place, specific['availability'], `${path}.ecosystem_specific.availability`);
  const dbSpecific = entry['database_specific'] === undefined ? {} : readObject(place, entry['database_specific'], `${path}.database_specific`);

  return {
    ecosystem,
    ...parts,
    sourcePackage: readString(place, pkg['name'], `${path}.package.name`),
    purl: readOptionalString(place, pkg['purl'], `${path}.package.purl`),
    fixedVersion: fixed[0] ?? null,
    rangeEvents,
    affectedVersions: readStringList(place, entry['versions'], `${path}.versions`),
    binaries: readBinaries(place, specific['binaries'], `${path}.ecosystem_specific.binaries`),
    availability,
    requiresSubscription: subscriptionOf(availability),
    cves: readCvesMap(place, dbSpecific['cves_map'], `${path}.database_specific.cves_map`, ecosystem),
    severity: readOsvSeverity(place, entry['severity'], `${path}.severity`),
  };
}
