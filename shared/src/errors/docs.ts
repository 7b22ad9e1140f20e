/**
 * Renders the error catalogue as the Markdown table in `docs/errors.md`.
 * `pnpm errors:docs` writes the file; `catalogue.test.ts` fails when the
 * committed file differs, so the table cannot drift from the code.
 */
import { Errors } from './catalogue';

/** The whole text of `docs/errors.md`, one row per code, sorted by code. */
export function renderErrorDocs(): string {
  const rows = Object.entries(Errors)
    .map(([name, def]) => ({ name, ...def }))
    .sort((a, b) => a.code.localeCompare(b.code));
  const lines = [
    '# Error codes',
    '',
    'Generated from `shared/src/errors/catalogue.ts` by `pnpm errors:docs`; do not edit by hand.',
    'Every error Patchfleet returns (API envelope `{ "error": { "code", "message", "requestId", "retryable" } }`,',
    'agent `error` frames, command results, CLI `error CODE: ...` lines) carries one of these codes.',
    'Codes are never renamed or removed.',
    '',
    '| code | HTTP status | retryable | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.code}\` | ${r.status} | ${r.retryable ? 'yes' : 'no'} | ${r.message.replace(/\|/g, '\\|')} |`),
    '',
  ];
  return lines.join('\n');
}
