/**
 * The "start a rollout" form's fields turned into the body of
 * POST /api/v1/rollouts: patch ids and package versions typed as text, the
 * rings ticked, and the options. Fields left at their default are left out,
 * so the controller's defaults (every ring, the advisory's release date)
 * apply. The controller validates again; this only catches typing slips
 * before a round trip.
 */
import type { StartRolloutBody } from '../api/types';

/** The form as typed. */
export interface StartRolloutForm {
  name: string;
  /** Patch ids separated by spaces, commas or new lines. */
  patches: string;
  /** One `name=version` per line (or separated by spaces or commas). */
  packages: string;
  /** Ring names ticked; every ring ticked (or none listed) means "every ring". */
  rings: string[];
  allRings: string[];
  expedite: boolean;
  /** A `datetime-local` value (the viewer's time zone), or ''. */
  releasedAt: string;
}

/** The API's patterns (controller/src/api/routes/rollouts.ts), for early messages. */
const PATCH_RE = /^(USN-[0-9]+-[0-9]+|KB[0-9]{6,8})$/;
const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION_RE = /^(?:[0-9]+:)?[A-Za-z0-9][A-Za-z0-9.+~-]*$/;

const words = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

export type BuiltRequest = { ok: true; body: StartRolloutBody } | { ok: false; problems: string[] };

/** The request body, or what is wrong with the form in words. */
export function buildStartRequest(form: StartRolloutForm): BuiltRequest {
  const problems: string[] = [];
  const patches = [...new Set(words(form.patches).map((p) => p.toUpperCase()))];
  const badPatches = patches.filter((p) => !PATCH_RE.test(p));
  if (badPatches.length) problems.push(`not a patch id (USN-1234-5 or KB5034441): ${badPatches.join(', ')}`);
  const packages: { name: string; version: string }[] = [];
  for (const w of words(form.packages)) {
    const at = w.indexOf('=');
    const name = at > 0 ? w.slice(0, at) : '';
    const version = at > 0 ? w.slice(at + 1) : '';
    if (!PACKAGE_RE.test(name) || !VERSION_RE.test(version)) problems.push(`not name=version: ${w}`);
    else packages.push({ name, version });
  }
  if (patches.length === 0 && packages.length === 0) problems.push('name at least one patch or package version');
  const chosen = form.allRings.filter((r) => form.rings.includes(r));
  if (form.allRings.length > 0 && chosen.length === 0) problems.push('tick at least one ring');
  let releasedAt: string | undefined;
  if (form.releasedAt.trim()) {
    const t = new Date(form.releasedAt);
    if (Number.isNaN(t.getTime())) problems.push(`not a date and time: ${form.releasedAt}`);
    else releasedAt = t.toISOString();
  }
  if (problems.length) return { ok: false, problems };
  const body: StartRolloutBody = {};
  if (form.name.trim()) body.name = form.name.trim();
  if (patches.length) body.patches = patches;
  if (packages.length) body.packages = packages;
  if (chosen.length < form.allRings.length) body.rings = chosen;
  if (form.expedite) body.expedite = true;
  if (releasedAt) body.releasedAt = releasedAt;
  return { ok: true, body };
}
