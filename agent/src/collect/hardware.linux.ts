import * as si from './systeminformation';
import type { HostFacts } from '@patchfleet/shared/protocol';
import { clip } from './clip';
import { readOptionalText } from './optional-file';
import { withTimeout, type WarnFn } from './with-timeout';

export type Hardware = HostFacts['hardware'];

// Firmware placeholders that mean "not set"; reporting them would make
// unrelated machines look alike to the help desk.
const PLACEHOLDERS = new Set([
  '', '-', '0', 'none', 'n/a', 'na', 'unknown', 'default string', 'not specified', 'not applicable',
  'to be filled by o.e.m.', 'to be filled by oem', 'system manufacturer', 'system product name',
  'system serial number', 'system version', 'o.e.m.', 'oem', '0123456789', '123456789',
]);

/** `value` trimmed, or '' when it is a firmware placeholder. */
export function cleanDmiValue(value: string | undefined): string {
  const v = (value ?? '').replace(/\0/g, '').trim();
  return PLACEHOLDERS.has(v.toLowerCase()) ? '' : v;
}

const DMI_DIR = '/sys/class/dmi/id';

/**
 * Hardware vendor, model and serial from systeminformation (dmidecode), each
 * falling back to /sys/class/dmi/id when empty. The serial is root-only on
 * most systems: without root it is ''.
 */
export async function collectHardware(timeoutMs: number, warn: WarnFn, dmiDir = DMI_DIR): Promise<Hardware> {
  const empty: si.Systeminformation.SystemData = { manufacturer: '', model: '', version: '', serial: '', uuid: '', sku: '', virtual: false };
  const [sys, dmiVendor, dmiModel, dmiSerial] = await Promise.all([
    withTimeout('systeminformation.system', si.system(), timeoutMs, empty, warn),
    readOptionalText(`${dmiDir}/sys_vendor`),
    readOptionalText(`${dmiDir}/product_name`),
    readOptionalText(`${dmiDir}/product_serial`),
  ]);
  return {
    vendor: clip(cleanDmiValue(sys.manufacturer) || cleanDmiValue(dmiVendor), 255),
    model: clip(cleanDmiValue(sys.model) || cleanDmiValue(dmiModel), 255),
    serial: clip(cleanDmiValue(sys.serial) || cleanDmiValue(dmiSerial), 255),
    virtual: sys.virtual === true,
  };
}
