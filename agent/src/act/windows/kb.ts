/**
 * KB article identifiers. A KB travels from a signed command into a
 * PowerShell script and a wusa.exe argument, so it is checked here once and
 * only its digits go further.
 */
import { Errors, PfError } from '@patchfleet/shared/errors';

/** A validated KB: `KB5072033` and its number. */
export interface KbId {
  /** `KB` followed by the digits, as Microsoft writes it. */
  text: string;
  /** The digits only, as WUA lists them in KBArticleIDs and wusa takes them after `/kb:`. */
  digits: string;
  number: number;
}

// Current KBs have 6 or 7 digits (KB890830, KB5072033); 8 leaves room ahead.
// Upper-case `KB` only: the controller sends the canonical form.
const KB_RE = /^KB(\d{6,8})$/;

/** Parses `KB5072033`; throws PF_ERR_BAD_INPUT for anything else (spaces, lower case, other text). */
export function parseKb(kb: string): KbId {
  const m = typeof kb === 'string' ? KB_RE.exec(kb) : null;
  if (!m?.[1]) throw new PfError(Errors.BAD_INPUT, `invalid KB identifier: ${JSON.stringify(kb).slice(0, 100)} (expected KB followed by 6 to 8 digits)`);
  return { text: `KB${m[1]}`, digits: m[1], number: Number(m[1]) };
}
