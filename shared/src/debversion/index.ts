/**
 * Debian package versions: parsing and ordering exactly as dpkg does, so that the
 * controller's "is this host patched?" answer matches what apt will install.
 */
export { parseDebVersion, type DebVersion } from './parse';
export {
  compareDebVersions,
  compareParsedDebVersions,
  debVersionLt,
  debVersionLe,
  debVersionEq,
  debVersionGe,
  debVersionGt,
} from './compare';
