/**
 * The JSON the WUA install script prints (wua-script.ts), parsed, and what it
 * means for the executor.
 */
import type { ErrorDef } from '@patchfleet/shared/errors';
import { isJsonObject, jsonKind, parsePsJson, psArray, psBool, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { hresultHex, RESULT_CODES, type UpdateResult } from '../../collect/windows/update-history';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { describeExitCode, exitCodeLabel, outcomeError } from './exit-codes';

/** Where the script stopped. */
export type WuaStage = 'search' | 'busy' | 'reboot-pending' | 'download' | 'install';

const STAGES: readonly WuaStage[] = ['search', 'busy', 'reboot-pending', 'download', 'install'];

/** One update the script matched to the KB, with its own result. */
export interface WuaUpdateResult {
  title: string;
  updateId: string | null;
  revisionNumber: number | null;
  /** OperationResultCode name; null before download or install ran. */
  result: UpdateResult | null;
  /** Unsigned hex, `0x80240022`. */
  hresult: string;
}

/** The script's report. */
export interface WuaInstallResult {
  /** KB number the script looked for. */
  kb: number | null;
  /** An applicable, not installed update with this KB was found. */
  found: boolean;
  /** Not found, but an installed update carries this KB. */
  alreadyInstalled: boolean;
  stage: WuaStage;
  /** OperationResultCode (0 NotStarted, 1 InProgress, 2 Succeeded, 3 SucceededWithErrors, 4 Failed, 5 Aborted) of the last stage run; null when none ran. */
  resultCode: number | null;
  result: UpdateResult | null;
  /** Overall HResult, unsigned hex; the exception's when `error` is set. */
  hresult: string;
  rebootRequired: boolean;
  /** Title of the (first) matched update, localized. */
  title: string | null;
  updates: WuaUpdateResult[];
  /** Message of an exception the script caught (search, download or install threw). */
  error: string | null;
}

function resultName(code: number | undefined): UpdateResult | null {
  if (code === undefined) return null;
  return (RESULT_CODES as Record<number, UpdateResult>)[code] ?? 'unknown';
}

/** Parses the script's stdout (bytes or text, 5.1 or 7 JSON). Throws PF_ERR_BAD_INPUT for anything else. */
export function parseWuaInstallJson(input: string | Uint8Array): WuaInstallResult {
  return parseWuaInstallResult(parsePsJson(input, 'Windows Update install result'));
}

/** Parses the already-decoded JSON value of the script's output; keys are matched without case. */
export function parseWuaInstallResult(value: unknown): WuaInstallResult {
  if (!isJsonObject(value)) throw new PfError(Errors.BAD_INPUT, `Windows Update install result: expected an object, got ${jsonKind(value)}`);
  const found = psBool(psProp(value, 'Found'));
  const stageText = psString(psProp(value, 'Stage'));
  const stage = STAGES.find((s) => s === stageText);
  if (found === undefined || stage === undefined) {
    throw new PfError(Errors.BAD_INPUT, 'Windows Update install result: missing Found or Stage; is this the install script output?');
  }
  const resultCode = psInt(psProp(value, 'ResultCode'));
  const updates = psArray(psProp(value, 'Updates')).map((u, i): WuaUpdateResult => {
    if (!isJsonObject(u)) throw new PfError(Errors.BAD_INPUT, `Windows Update install result: update ${i} is ${jsonKind(u)}`);
    return {
      title: psString(psProp(u, 'Title')) ?? '',
      updateId: psString(psProp(u, 'UpdateID')) ?? null,
      revisionNumber: psInt(psProp(u, 'RevisionNumber')) ?? null,
      result: resultName(psInt(psProp(u, 'ResultCode'))),
      hresult: hresultHex(psInt(psProp(u, 'HResult')) ?? 0),
    };
  });
  return {
    kb: psInt(psProp(value, 'Kb')) ?? null,
    found,
    alreadyInstalled: psBool(psProp(value, 'AlreadyInstalled')) ?? false,
    stage,
    resultCode: resultCode ?? null,
    result: resultName(resultCode),
    hresult: hresultHex(psInt(psProp(value, 'HResult')) ?? 0),
    rebootRequired: psBool(psProp(value, 'RebootRequired')) ?? false,
    title: psString(psProp(value, 'Title')) ?? null,
    updates,
    error: psString(psProp(value, 'Error')) ?? null,
  };
}

/** What a WUA result means: success, or the error to report. */
export interface WuaVerdict {
  ok: boolean;
  error?: { def: ErrorDef; message: string };
  /** At least one matched update was installed (fully or pending restart). */
  installed: boolean;
}

/** The first non-zero HRESULT: the overall one, else the first failing update's. */
function firstFailure(r: WuaInstallResult): string {
  if (r.hresult !== '0x00000000') return r.hresult;
  return r.updates.find((u) => u.hresult !== '0x00000000')?.hresult ?? r.hresult;
}

/** The agent error for a failing HRESULT, when the exit-code table knows it; `fallback` otherwise. */
function hresultError(hex: string, fallback: ErrorDef): { def: ErrorDef; label: string } {
  const info = describeExitCode(Number.parseInt(hex, 16));
  const def = info.name !== undefined ? outcomeError(info.outcome) : undefined;
  return { def: def ?? fallback, label: exitCodeLabel(info) };
}

/**
 * Turns the script's report for `kb` into success or an agent error.
 * Already installed counts as success with nothing installed; "succeeded with
 * errors" is a failure (some matched update did not install) that still
 * reports what did install.
 */
export function wuaVerdict(r: WuaInstallResult, kb: string): WuaVerdict {
  const fail = (def: ErrorDef, message: string, installed = false): WuaVerdict => ({ ok: false, error: { def, message }, installed });
  if (r.error !== null) {
    const { def, label } = hresultError(r.hresult, Errors.WINDOWS_UPDATE_FAILED);
    return fail(def, `Windows Update ${r.stage} of ${kb} failed with ${label}: ${r.error}`);
  }
  if (r.stage === 'busy') return fail(Errors.WINDOWS_INSTALL_IN_PROGRESS, `Windows Update installer is busy with another installation; ${kb} not installed`);
  if (r.stage === 'reboot-pending') return fail(Errors.WINDOWS_REBOOT_PENDING, `Windows requires a restart before installing ${kb}`);
  if (!r.found) {
    if (r.alreadyInstalled) return { ok: true, installed: false };
    return fail(Errors.WINDOWS_UPDATE_NOT_FOUND, `Windows Update offers no applicable update ${kb} to this host`);
  }
  const installedAny = r.stage === 'install' && r.updates.some((u) => u.result === 'succeeded');
  if (r.stage === 'install' && r.result === 'succeeded') return { ok: true, installed: true };
  const hex = firstFailure(r);
  const { def, label } = hresultError(hex, Errors.WINDOWS_UPDATE_FAILED);
  const failing = r.updates.filter((u) => u.result !== 'succeeded').map((u) => `${u.title} (${u.hresult})`);
  const what = r.stage === 'install' ? 'installation' : 'download';
  return fail(def, `Windows Update ${what} of ${kb} ended ${r.result ?? 'without a result'}, ${label}${failing.length > 0 ? `: ${failing.join('; ')}` : ''}`, installedAny);
}
