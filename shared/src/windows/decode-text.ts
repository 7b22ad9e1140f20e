import { Errors, PfError } from '../errors';

/**
 * Text of PowerShell output, whatever encoding it was saved in.
 *
 * The agent's own runs print UTF-8 (the script prologue sets it), but output
 * an operator saved and pasted comes in every form Windows makes:
 * `Out-File` and `>` in Windows PowerShell 5.1 write UTF-16LE with a BOM,
 * PowerShell 7 writes UTF-8 without one, and 5.1 prints a UTF-8 BOM on a
 * redirected stdout when the console encoding is `[Text.Encoding]::UTF8`.
 * A BOM decides; without one, NUL bytes in the odd positions of the start mean
 * UTF-16LE (JSON starts with ASCII, so every second byte is 0). Anything that
 * is not valid UTF-8 after that is refused rather than guessed at: a legacy
 * OEM code page would turn names into mojibake silently.
 */
export function decodeShellOutput(input: string | Uint8Array, what: string): string {
  if (typeof input === 'string') return stripBom(input);
  const bytes = input;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return utf8(bytes.subarray(3), what);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16le(bytes.subarray(2), what);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16le(swapBytePairs(bytes.subarray(2)), what);
  if (looksLikeUtf16le(bytes)) return utf16le(bytes, what);
  return utf8(bytes, what);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function looksLikeUtf16le(bytes: Uint8Array): boolean {
  const pairs = Math.min(Math.floor(bytes.length / 2), 32);
  if (pairs === 0 || bytes[0] === 0) return false;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) if (bytes[2 * i + 1] === 0) oddZeros++;
  return oddZeros >= pairs / 2;
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PfError(Errors.BAD_INPUT, `${what}: output is neither UTF-8 nor UTF-16 text`, { what }, { cause: err });
  }
}

function utf16le(bytes: Uint8Array, what: string): string {
  if (bytes.length % 2 !== 0) {
    throw new PfError(Errors.BAD_INPUT, `${what}: UTF-16 output has an odd number of bytes (${bytes.length}); was it cut short?`, { what });
  }
  return stripBom(new TextDecoder('utf-16le').decode(bytes));
}

function swapBytePairs(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}
