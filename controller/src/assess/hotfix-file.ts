/**
 * The `--hotfix FILE` input of `patchfleet assess`: a Windows host's
 * installed updates as `Get-HotFix | ConvertTo-Json` prints them.
 *
 * Parsing is the agent's (one parser for both, so `assess` reads exactly
 * what the agent would report); this module only turns its errors into
 * PF_ERR_BAD_INPUT_FILE errors that name the file and the line.
 */
import { isPfError, Errors } from '@patchfleet/shared/errors';
import { decodeShellOutput } from '@patchfleet/shared/windows';
import { parseHotFixJson, type HotFix } from '@patchfleet/shared/windows';
import { badInputFile } from './input-error';

export type { HotFix };

/** The command whose output `--hotfix` takes. */
export const HOTFIX_COMMAND = 'Get-HotFix | ConvertTo-Json';

/**
 * Hotfixes from a saved `Get-HotFix | ConvertTo-Json` file, from Windows
 * PowerShell 5.1 or PowerShell 7, in UTF-8 (with or without BOM) or the
 * UTF-16LE that 5.1's `>` writes. Also takes `Select-Object` subsets and
 * `Get-CimInstance Win32_QuickFixEngineering` output (see parseHotFixJson).
 * Throws PF_ERR_BAD_INPUT_FILE naming the file and, where it can tell, the line.
 */
export function parseHotfixFile(input: string | Uint8Array, fileName: string): HotFix[] {
  let text: string | undefined;
  try {
    text = decodeShellOutput(input, 'hotfix JSON');
    return parseHotFixJson(text);
  } catch (err) {
    if (!isPfError(err) || err.code !== Errors.BAD_INPUT.code) throw err;
    const problem = err.message.replace(/^hotfix JSON: /, '');
    const hint = `expected the output of ${HOTFIX_COMMAND}${text !== undefined && looksLikeDpkgList(text) ? ' (this looks like a dpkg package list: that goes with --os ubuntu-YY.MM --dpkg)' : ''}`;
    const at = text === undefined ? undefined : errorLine(text, err.details);
    // The line goes in front, as for every input file; the column stays with the JSON complaint.
    throw badInputFile(fileName, `${at === undefined ? problem : problem.replace(/ at line \d+ column (\d+)/, ' at column $1')}; ${hint}`, at, err);
  }
}

// dpkg-query rows have tabs between fields; ConvertTo-Json output starts with a bracket.
function looksLikeDpkgList(text: string): boolean {
  return /^[^\t\n{[]+\t[^\t\n]+\t/.test(text);
}

// The agent reports a JSON syntax error by line and a bad entry by index.
function errorLine(text: string, details: Record<string, unknown> | undefined): { line: number; text: string } | undefined {
  const line = details?.['line'];
  if (typeof line === 'number') {
    const lineText = text.split('\n')[line - 1];
    return lineText === undefined ? undefined : { line, text: lineText.replace(/\r$/, '').trim() };
  }
  const index = details?.['index'];
  return typeof index === 'number' ? entryLine(text, index) : undefined;
}

/**
 * Line (1-based) and text of the line where entry `index` of the top-level
 * JSON array starts, or undefined when the file is not a plain array (one
 * object, or 5.1's `{"value": [...]}` wrapper). The agent's parser reports a
 * bad entry by its index; an operator looks for a line.
 */
function entryLine(text: string, index: number): { line: number; text: string } | undefined {
  const open = /^[ \t]*\[/m.exec(text);
  if (open === null) return undefined;
  let depth = 0;
  let inString = false;
  let entry = 0;
  let atValueStart = true;
  for (let i = open.index + open[0].length; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (depth === 0) {
      if (c === ']') return undefined;
      if (c === ',') {
        atValueStart = true;
        continue;
      }
      if (atValueStart) {
        if (entry === index) return lineAt(text, i);
        entry++;
        atValueStart = false;
      }
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return undefined;
}

function lineAt(text: string, offset: number): { line: number; text: string } {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(0, offset).split('\n').length;
  return { line, text: text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, '').trim() };
}
