/**
 * Applicability: which advisories a host is missing, from its inventory and
 * the catalog. Pure functions; each side builds its index once per catalog
 * (`prepareUbuntuIndex`, `prepareWindowsIndex`, or implicitly on first use).
 */
export {
  assessUbuntu,
  ubuntuIndexOf,
  type UbuntuAssessment,
  type UbuntuFinding,
  type UbuntuFindingPackage,
  type UbuntuHost,
  type UbuntuInstalledPackage,
  type UbuntuUnjudgedPackage,
} from './ubuntu';
export { isUbuntuLts, ubuntuEcosystems, ubuntuReleaseEcosystems, type UbuntuReleaseEcosystems } from './ubuntu-ecosystems';
export { prepareUbuntuIndex, type UbuntuFixTarget, type UbuntuIndex, type UbuntuIndexProblem, type UbuntuReleaseFixes, type UbuntuReleaseIndex } from './ubuntu-index';
export { assessWindows, compareKbIds, windowsIndexOf, type WindowsAssessment, type WindowsFinding, type WindowsHost } from './windows';
export { parseWindowsBuild, sameServicingBranch, servicingBranch, type WindowsBuild } from './windows-build';
export { hotpatchBaseline, normalizeKbId, prepareWindowsIndex, type WindowsIndex, type WindowsKbForProduct, type WindowsKbNode } from './windows-index';
export { msrcArchitecture, productKey, windowsProductNames, type WindowsProductFacts } from './windows-product';
