import { execFile } from 'node:child_process';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { stderrText } from './clixml';
import { decodeShellOutput } from '@patchfleet/shared/windows';
import { parsePsJson } from '@patchfleet/shared/windows';

/** A program and its arguments, run without a shell. */
export interface PowerShellInvocation {
  file: string;
  args: string[];
}

export interface InvocationOptions {
  /**
   * Environment to read SystemRoot and PROCESSOR_ARCHITEW6432 from; default
   * process.env. runPowerShell also gives it to the child (without PSModulePath).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** `process.arch` of the agent; default process.arch. */
  processArch?: string;
}

/**
 * Longest base64 text passed to -EncodedCommand. CreateProcess takes at most
 * 32,767 characters of command line; the rest is the path and the switches.
 */
export const MAX_ENCODED_COMMAND_CHARS = 32_000;

/**
 * Full path of Windows PowerShell 5.1, present on every supported Windows
 * (PowerShell 7 is an optional install, so it is never relied on). The path is
 * absolute so a `powershell.exe` planted earlier in PATH is not run as
 * SYSTEM. A 32-bit agent on 64-bit Windows asks for `Sysnative`: `System32`
 * would be redirected to the 32-bit PowerShell, which sees the 32-bit
 * registry view and reports the architecture as x86.
 */
export function powerShellPath(opts: InvocationOptions = {}): string {
  const env = opts.env ?? process.env;
  const root = (env['SystemRoot'] ?? env['SYSTEMROOT'] ?? 'C:\\Windows').replace(/\\+$/, '');
  const wow64 = (opts.processArch ?? process.arch) === 'ia32' && Boolean(env['PROCESSOR_ARCHITEW6432']);
  return `${root}\\${wow64 ? 'Sysnative' : 'System32'}\\WindowsPowerShell\\v1.0\\powershell.exe`;
}

/** What -EncodedCommand expects: the script as UTF-16LE, in base64. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/**
 * The command line that runs `script` in Windows PowerShell 5.1.
 *
 * -EncodedCommand carries the script as base64, so no character in it (quotes,
 * `$`, `&`, `|`, `%`, non-ASCII) is ever seen by a command-line parser: with
 * `-Command "..."` the text would pass through the C runtime's argv rules and
 * PowerShell's own re-parsing, and quoting mistakes there turn into running
 * the wrong code. -NoProfile keeps the operator's profile out (speed, and no
 * surprise output); -NonInteractive makes any prompt fail instead of hanging;
 * -ExecutionPolicy Bypass applies to this process only and lets the script run
 * where a GPO sets AllSigned; -OutputFormat Text asks for plain text on stdout.
 */
export function buildPowerShellInvocation(script: string, opts: InvocationOptions = {}): PowerShellInvocation {
  const encoded = encodeCommand(script);
  if (encoded.length > MAX_ENCODED_COMMAND_CHARS) {
    throw new PfError(
      Errors.BAD_INPUT,
      `PowerShell script too long for -EncodedCommand: ${encoded.length} base64 characters, limit ${MAX_ENCODED_COMMAND_CHARS}`,
      { encodedLength: encoded.length },
    );
  }
  return {
    file: powerShellPath(opts),
    args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-OutputFormat', 'Text', '-EncodedCommand', encoded],
  };
}

/**
 * Drops indentation, blank lines and whole-line `#` comments, which only cost
 * command-line length once base64-encoded (each character becomes about 2.7).
 * Only for scripts written in this folder: it would break a here-string.
 */
export function compactScript(script: string): string {
  return script
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n');
}

/**
 * A script that runs `body` and prints its output as one line of JSON.
 *
 * - UTF-8 out: otherwise 5.1 writes stdout in the OEM code page (437, 850,
 *   932...) and every non-ASCII name (`NT-AUTORITÄT\SYSTEM`, Japanese titles)
 *   is mangled. The encoding object is made without a BOM: with
 *   `[Text.Encoding]::UTF8` .NET Framework writes EF BB BF before the first
 *   output on a pipe. (The reader strips a BOM anyway.)
 * - `$ErrorActionPreference = 'Stop'`: a failing cmdlet stops the script (exit
 *   code 1, message on stderr) instead of printing partial data.
 * - `$ProgressPreference = 'SilentlyContinue'`: progress records would reach
 *   stderr as CLIXML and slow the run.
 * - `ConvertTo-Json -InputObject`: piping would unroll the result, so a
 *   one-item list would print as a bare object and an empty one as nothing;
 *   the body returns lists as `,@(...)` to keep them lists. -Depth is raised
 *   from the default 2, beyond which ConvertTo-Json silently writes nested
 *   objects as their type name (5.1) or truncates with a warning (7).
 */
export function wrapScriptForJson(body: string, depth = 8): string {
  return compactScript(`
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
$pfResult = & {
${body}
}
ConvertTo-Json -InputObject $pfResult -Depth ${depth} -Compress
`);
}

/** How a finished process ended; an ExecFn never rejects. */
export interface ExecOutcome {
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Exit code; null when the process did not exit by itself. */
  exitCode: number | null;
  timedOut: boolean;
  /** Why the process could not run or was stopped (spawn error, output limit). */
  failure?: string;
}

export type ExecFn = (
  file: string,
  args: readonly string[],
  opts: { timeoutMs: number; maxBufferBytes: number; env: NodeJS.ProcessEnv },
) => Promise<ExecOutcome>;

/** Runs a program with execFile: no shell, no window, stdin closed. */
export const nodeExec: ExecFn = (file, args, opts) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { encoding: 'buffer', timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: opts.maxBufferBytes, windowsHide: true, env: opts.env },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr, exitCode: 0, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        const exitCode = typeof e.code === 'number' ? e.code : null;
        // Node kills the child both on timeout and on too much output; only the code tells them apart.
        const overflow = e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        const timedOut = e.killed === true && exitCode === null && !overflow;
        const failure = exitCode === null && !timedOut ? e.message : undefined;
        resolve({ stdout, stderr, exitCode, timedOut, ...(failure ? { failure } : {}) });
      },
    );
    // powershell.exe may wait on an open stdin pipe; it has nothing to read.
    child.stdin?.end();
  });

export interface RunPowerShellOptions extends InvocationOptions {
  /** Default 120 s: the Windows Update Agent can take tens of seconds on a busy host. */
  timeoutMs?: number;
  /** Largest stdout accepted, default 32 MiB. */
  maxBufferBytes?: number;
  exec?: ExecFn;
}

const STDERR_EXCERPT = 2000;

/**
 * Runs `script` in Windows PowerShell 5.1 and returns what it printed on
 * stdout, decoded. Fails with PF_ERR_POWERSHELL_FAILED when it cannot start,
 * times out, prints too much or exits non-zero; the message carries the start
 * of stderr (CLIXML decoded).
 */
export async function runPowerShell(script: string, opts: RunPowerShellOptions = {}): Promise<string> {
  const { file, args } = buildPowerShellInvocation(script, opts);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const exec = opts.exec ?? nodeExec;
  // A PSModulePath inherited from a PowerShell 7 parent makes 5.1 load 7's
  // modules (CimCmdlets, Management) and fail; unset, 5.1 uses its own.
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const k of Object.keys(env)) if (k.toLowerCase() === 'psmodulepath') delete env[k];
  const r = await exec(file, args, { timeoutMs, maxBufferBytes: opts.maxBufferBytes ?? 32 * 1024 * 1024, env });
  const stderr = stderrText(new TextDecoder().decode(r.stderr)).slice(0, STDERR_EXCERPT);
  const details = { file, exitCode: r.exitCode, timedOut: r.timedOut, stderr };
  if (r.timedOut) throw new PfError(Errors.POWERSHELL_FAILED, `powershell.exe did not finish within ${timeoutMs} ms`, details);
  if (r.failure !== undefined) throw new PfError(Errors.POWERSHELL_FAILED, `powershell.exe failed: ${r.failure}`, details);
  if (r.exitCode !== 0) {
    const why = stderr ? `: ${stderr.split(/\r?\n/).slice(0, 3).join(' ')}` : ' (no error output)';
    throw new PfError(Errors.POWERSHELL_FAILED, `powershell.exe exited with code ${r.exitCode ?? 'none'}${why}`, details);
  }
  return decodeShellOutput(r.stdout, 'powershell.exe stdout');
}

/** Runs `body` wrapped by wrapScriptForJson and parses the JSON it prints. */
export async function runPowerShellJson(body: string, what: string, opts: RunPowerShellOptions & { depth?: number } = {}): Promise<unknown> {
  return parsePsJson(await runPowerShell(wrapScriptForJson(body, opts.depth), opts), what);
}
