/**
 * The restart command the agent runs after patching, per reboot policy.
 */
import type { InvocationOptions } from '../../collect/windows/powershell';
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { ToolInvocation } from './servicing-commands';
import { systemToolPath } from './system-tools';

/** shutdown.exe limits: /t at most 315360000 s (10 years), /c at most 512 characters. */
export const MAX_SHUTDOWN_DELAY_SEC = 315_360_000;
export const MAX_SHUTDOWN_REASON_CHARS = 512;

/**
 * Reason code `p:2:17`: planned (p), major 2 "Operating System", minor 17
 * "Hot fix", which is what the event log (event 1074) and Windows' own
 * restart-reason reports then show.
 */
export const SHUTDOWN_REASON_CODE = 'p:2:17';

// Printable text only: no quotes (they would end the argument in the command
// line Windows rebuilds from argv), no control characters or newlines.
const REASON_RE = /^[^"\p{Cc}]+$/u;

/**
 * `shutdown.exe /r /t <delaySec> /c <reason> /d p:2:17`. Node quotes the
 * reason when it holds spaces. A delay above 0 makes shutdown.exe imply /f
 * (running applications are closed without warning), which is what an
 * unattended patch restart needs. Throws PF_ERR_BAD_INPUT for a delay or
 * reason shutdown.exe would refuse or that could break the command line.
 */
export function shutdownCommand(delaySec: number, reason: string, opts: InvocationOptions = {}): ToolInvocation {
  if (!Number.isInteger(delaySec) || delaySec < 0 || delaySec > MAX_SHUTDOWN_DELAY_SEC) {
    throw new PfError(Errors.BAD_INPUT, `invalid restart delay: ${delaySec} (0 to ${MAX_SHUTDOWN_DELAY_SEC} seconds)`);
  }
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text.length === 0 || text.length > MAX_SHUTDOWN_REASON_CHARS || !REASON_RE.test(text)) {
    throw new PfError(
      Errors.BAD_INPUT,
      `invalid restart reason ${JSON.stringify(reason).slice(0, 100)}: 1 to ${MAX_SHUTDOWN_REASON_CHARS} printable characters, no double quotes`,
    );
  }
  return { file: systemToolPath('shutdown.exe', opts), args: ['/r', '/t', String(delaySec), '/c', text, '/d', SHUTDOWN_REASON_CODE] };
}
