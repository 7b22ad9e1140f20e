import type { Inventory } from '@patchfleet/shared/protocol';
import { systemClock } from '@patchfleet/shared/clock';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { collectLinuxInventory } from './inventory.linux';
import type { WarnFn } from './with-timeout';
import { collectWindowsInventory } from './windows/index';

export type { WarnFn } from './with-timeout';

export interface CollectOptions {
  /** Clock, ms since epoch; defaults to the system clock. */
  now?: () => number;
  /** Limit for each host probe, after which it reports an empty value. Default 5 s. */
  timeoutMs?: number;
  /** Limit for listing one package manager's packages. Default 60 s. */
  packageTimeoutMs?: number;
  /** Told about every fact that fell back to an empty value, and why. Default: ignore. */
  onWarning?: WarnFn;
  /**
   * Linux only: list the packages of this isolated dpkg root
   * (`<root>/var/lib/dpkg`) instead of the machine's. Host facts, including the
   * pending reboot, stay the machine's.
   */
  dpkgRoot?: string;
}

type ResolvedOptions = Required<Omit<CollectOptions, 'dpkgRoot'>> & Pick<CollectOptions, 'dpkgRoot'>;
type Collector = (opts: ResolvedOptions) => Promise<Inventory>;

/**
 * The inventory collector for `platform`. Throws PF_ERR_UNSUPPORTED_PLATFORM
 * for platforms the agent does not support.
 */
export function inventoryCollectorFor(platform: NodeJS.Platform): Collector {
  switch (platform) {
    case 'linux':
      return (opts) => collectLinuxInventory({
        now: opts.now,
        timeoutMs: opts.timeoutMs,
        packageTimeoutMs: opts.packageTimeoutMs,
        warn: opts.onWarning,
        ...(opts.dpkgRoot !== undefined ? { dpkgRoot: opts.dpkgRoot } : {}),
      });
    case 'win32':
      return (opts) => {
        // A dpkg root means nothing there; ignoring it would report the wrong packages.
        if (opts.dpkgRoot !== undefined) throw new PfError(Errors.BAD_INPUT, 'dpkgRoot is only supported on linux');
        return collectWindowsInventory({ now: opts.now, packageTimeoutMs: opts.packageTimeoutMs, onWarning: opts.onWarning });
      };
    default:
      throw new PfError(Errors.UNSUPPORTED_PLATFORM, `inventory collection is not supported on platform ${platform}; supported: linux, win32`, { platform });
  }
}

/**
 * Collects this host's inventory: host facts and every installed package.
 * Slow or failing host probes yield empty values (reported to `onWarning`);
 * failing to list the packages fails the call (PF_ERR_COLLECT_FAILED or
 * PF_ERR_BAD_INPUT), since a partial package list must never be reported.
 */
export async function collectInventory(opts: CollectOptions = {}): Promise<Inventory> {
  const resolved: ResolvedOptions = {
    now: opts.now ?? (() => systemClock.now()),
    timeoutMs: opts.timeoutMs ?? 5_000,
    packageTimeoutMs: opts.packageTimeoutMs ?? 60_000,
    onWarning: opts.onWarning ?? (() => undefined),
    ...(opts.dpkgRoot !== undefined ? { dpkgRoot: opts.dpkgRoot } : {}),
  };
  return inventoryCollectorFor(process.platform)(resolved);
}
