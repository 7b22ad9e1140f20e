/**
 * Text of what wusa.exe, dism.exe and shutdown.exe print. Unlike our
 * PowerShell scripts they do not choose their output encoding: on a pipe they
 * write the console's OEM code page (850 on a de-DE host), which is not UTF-8
 * once a non-ASCII character appears.
 */
import { decodeShellOutput } from '@patchfleet/shared/windows';
import { isPfError } from '@patchfleet/shared/errors';

/**
 * Decodes tool output for logs and parsing: UTF-8 or UTF-16 (BOM or not) as
 * the collectors read it, else Latin-1, which keeps every ASCII character
 * (all DISM prints with /English) and turns OEM accents into wrong but
 * visible letters instead of failing the whole operation.
 */
export function toolOutputText(bytes: Uint8Array, what: string): string {
  try {
    return decodeShellOutput(bytes, what);
  } catch (err) {
    if (!isPfError(err)) throw err;
    return new TextDecoder('latin1').decode(bytes);
  }
}
