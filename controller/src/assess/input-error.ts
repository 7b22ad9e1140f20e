import { PfError, Errors } from '@patchfleet/shared/errors';

// Long enough to recognise a line, short enough that a binary file does not flood the terminal.
const EXCERPT_CHARS = 80;

/**
 * PF_ERR_BAD_INPUT_FILE naming the file and, when known, the 1-based line,
 * with a JSON-quoted excerpt of it (quoting shows tabs as \t and makes
 * control characters visible, which is usually what is wrong).
 */
export function badInputFile(file: string, why: string, at?: { line: number; text: string }, cause?: unknown): PfError {
  const where = at === undefined ? file : `${file} line ${at.line}`;
  const excerpt = at === undefined ? '' : `: ${quoteExcerpt(at.text)}`;
  return new PfError(
    Errors.BAD_INPUT_FILE,
    `${where}: ${why}${excerpt}`,
    at === undefined ? { file } : { file, line: at.line },
    cause === undefined ? undefined : { cause },
  );
}

/** `text` shortened to `maxChars` (a line excerpt by default) and JSON-quoted. */
export function quoteExcerpt(text: string, maxChars = EXCERPT_CHARS): string {
  return JSON.stringify(text.length > maxChars ? `${text.slice(0, maxChars)}...` : text);
}
