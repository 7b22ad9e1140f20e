import { isPfError } from '@patchfleet/shared/errors';
import type { CollectedHealth, HealthCollector, HealthWindow } from '../../health/types';
import type { WarnFn } from '../with-timeout';
import { buildHealthScript } from './health-script';
import { parseHealthJson, summarizeHealth } from './health-parse';
import { runPowerShell } from './powershell';

export { buildHealthScript, healthXPath, HEALTH_LOOKBACK_MS, HEALTH_MAX_EVENTS_PER_LOG, HEALTH_QUERIES } from './health-script';
export { parseHealthJson, parseHealthOutput, summarizeHealth, type HealthScriptOutput, type RawHealthEvent } from './health-parse';

export interface WindowsHealthOptions {
  /** Runs a script and returns its stdout; default Windows PowerShell 5.1 (runPowerShell). For tests. */
  run?: (script: string) => Promise<string | Uint8Array>;
  /** Limit for the PowerShell run, default 60 s (a full 20 MB log is scanned by each query). */
  timeoutMs?: number;
  /** Told why the event log was reported unavailable, or that a log was cut at the event limit. */
  onWarning?: WarnFn;
}

/**
 * The Windows health collector: one powershell.exe run of the health script
 * per window (buildHealthScript), its output parsed and counted
 * (summarizeHealth).
 *
 * Never throws for the host's sake: PowerShell failing (not starting, timing
 * out, exiting non-zero) or printing something that is not the script's
 * JSON gives every counter absent and `unavailable: ['eventlog']`, with the
 * reason told to onWarning; a single log that cannot be read leaves out only
 * its own counters.
 */
export function collectWindowsHealth(opts: WindowsHealthOptions = {}): HealthCollector {
  const run = opts.run ?? ((s: string) => runPowerShell(s, { timeoutMs: opts.timeoutMs ?? 60_000 }));
  const warn = opts.onWarning ?? (() => undefined);
  return async (window: HealthWindow): Promise<CollectedHealth> => {
    let out;
    try {
      out = parseHealthJson(await run(buildHealthScript(window)));
    } catch (err) {
      if (!isPfError(err)) throw err;
      warn(`Windows event log not read: ${err.message}`, err);
      return { counters: {}, unavailable: ['eventlog'], events: [] };
    }
    for (const log of out.logs) {
      if (!log.ok) warn(`Windows event log ${log.log} not readable (${log.errorId}): ${log.error}`);
      else if (log.truncated) warn(`Windows event log ${log.log}: more than the event limit in one window; counts are lower bounds`);
    }
    return summarizeHealth(out, window);
  };
}
