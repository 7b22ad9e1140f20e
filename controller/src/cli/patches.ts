/** `patchfleet patches reliability ID`: a patch's reliability score, decision and reasons, through the API. */
import type { Command } from 'commander';
import type { ResponseOf } from '@patchfleet/shared/api';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { connection, type ConnOpts } from './enroll-token';
import { action, printJson, printTable } from './output';

/** What GET /api/v1/patches/:id/reliability answers. */
type ReliabilityReport = ResponseOf<'/api/v1/patches/{id}/reliability', 'get'>;

/** The report for people: the headline, the reasons, the classes, the last changes. */
export function printReliability(r: ReliabilityReport): void {
  const lines: string[] = [];
  const pct = (p: number | null) => (p === null ? '-' : `${(p * 100).toFixed(p < 0.01 ? 2 : 1)} %`);
  lines.push(`patch:       ${r.patchId}`);
  lines.push(`decision:    ${r.decision}${r.cautious ? ' (cautious: smaller waves, longer soak)' : ''}`);
  lines.push(`score:       ${r.score ?? '-'} / 100   confidence ${r.confidence.toFixed(2)}   P(harm) ${pct(r.pHarm)}   tier ${r.tier ?? '-'}`);
  lines.push('why:');
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (r.classes.length > 0) {
    process.stdout.write('\n');
    printTable(
      ['CLASS', 'SCORE', 'CONFIDENCE', 'P(HARM)'],
      r.classes.map((c) => [c.label, String(c.score), c.confidence.toFixed(2), pct(c.pHarm)]),
    );
  }
  const recent = r.history.filter((h) => h.hostClass === '').slice(-5);
  if (recent.length > 0) {
    process.stdout.write('\nhistory (whole patch, last 5 changes):\n');
    printTable(
      ['AT', 'SCORE', 'CONFIDENCE'],
      recent.map((h) => [h.at, String(h.score), h.confidence.toFixed(2)]),
    );
  }
}

export function registerPatches(program: Command): void {
  const group = program.command('patches').description('patches: reliability score and decision');
  connection(group.command('reliability').description("a patch's reliability score, confidence, decision and reasons, per host class and over time").argument('<id>', 'patch id (KB5065426, USN-7545-1)')).action(
    action(async (id: string, opts: ConnOpts) => {
      const client = new ApiClient(resolveClientOptions(opts));
      const r = await client.api.call('get', '/api/v1/patches/{id}/reliability', { params: { id } });
      if (opts.json) return printJson(r);
      printReliability(r);
    }),
  );
}
