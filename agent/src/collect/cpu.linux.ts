import { cpus } from 'node:os';
import * as si from './systeminformation';
import type { HostFacts } from '@patchfleet/shared/protocol';
import { clip } from './clip';
import { withTimeout, type WarnFn } from './with-timeout';

export type Cpu = HostFacts['cpu'];

/**
 * CPU brand, logical and physical core counts and nominal speed, from
 * systeminformation; node:os fills in when that fails (physical cores are
 * then unknown and reported equal to logical ones).
 */
export async function collectCpu(timeoutMs: number, warn: WarnFn): Promise<Cpu> {
  const info = await withTimeout<si.Systeminformation.CpuData | undefined>('systeminformation.cpu', si.cpu(), timeoutMs, undefined, warn);
  const osCpus = cpus();
  if (!info) {
    return {
      brand: clip(osCpus[0]?.model.trim() ?? '', 255),
      cores: osCpus.length,
      physicalCores: osCpus.length,
      speedGHz: (osCpus[0]?.speed ?? 0) / 1000,
    };
  }
  // si splits "AMD EPYC 7B13" into manufacturer "AMD" and brand "EPYC 7B13".
  const brand = info.brand.startsWith(info.manufacturer) ? info.brand : `${info.manufacturer} ${info.brand}`;
  const speed = [info.speed, info.speedMax].find((s) => Number.isFinite(s) && s > 0) ?? 0;
  return {
    brand: clip(brand.trim(), 255),
    cores: nonNegInt(info.cores) || osCpus.length,
    physicalCores: nonNegInt(info.physicalCores) || nonNegInt(info.cores) || osCpus.length,
    speedGHz: speed,
  };
}

function nonNegInt(n: number): number {
  return Number.isInteger(n) && n > 0 ? n : 0;
}
