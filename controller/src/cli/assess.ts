import type { Command } from 'commander';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { assessHost, prepareCatalog, type HostAssessment, type HostInput } from '../assess/assess-host';
import { parseAssessTarget, type AssessFlags } from '../assess/flags';
import { parseDpkgListFile, parseHotfixFile, readInputFile } from '../assess/inputs';
import { loadCatalog } from '../catalog/store';
import { loadConfig } from '../config';
import { openDatabase } from '../db/index';
import { hostRiskContext } from '../scoring/host-risk';
import { resolveSla } from '../scoring/sla';
import { parseLabels } from './enroll-token';
import { action, printJson, printTable } from './output';

/** Turns the validated flags and the file they name into applicability input. */
async function hostInput(flags: AssessFlags & { hotpatchEnrolled?: boolean }): Promise<HostInput> {
  const target = parseAssessTarget(flags);
  if (target.kind === 'ubuntu') {
    const packages = parseDpkgListFile(await readInputFile(target.dpkgFile), target.dpkgFile);
    return { kind: 'ubuntu', release: target.release, packages };
  }
  const hotfixes = parseHotfixFile(await readInputFile(target.hotfixFile), target.hotfixFile);
  return {
    kind: 'windows',
    host: {
      build: target.build,
      ubr: target.ubr,
      installationType: target.installationType,
      arch: target.arch, // applicability reads x64/arm64/x86 as well as AMD64/ARM64
      hotfixes: hotfixes.map((h) => h.kb),
      hotpatchEnrolled: flags.hotpatchEnrolled === true,
    },
  };
}

function printHuman(result: HostAssessment): void {
  if (result.missing.length === 0) process.stdout.write('nothing missing\n');
  else
    printTable(
      ['ID', 'TIER', 'SCORE', 'DUE', 'CVES', 'TITLE'],
      result.missing.map((m) => [
        m.id,
        m.priority.tier,
        String(m.priority.score),
        m.priority.dueBy.slice(0, 10),
        String(m.cves.length),
        `${m.title}${m.requires ? ' [Ubuntu Pro]' : ''}${m.packages?.length ? ` (${m.packages.map((p) => `${p.name} ${p.installed} < ${p.fixed}`).slice(0, 3).join('; ')}${m.packages.length > 3 ? '; …' : ''})` : ''}`.slice(0, 160),
      ]),
    );
  const s = result.summary;
  process.stdout.write(
    `\n${s.missing} missing (critical ${s.byTier.critical}, high ${s.byTier.high}, medium ${s.byTier.medium}, low ${s.byTier.low}; ${s.overdue} past due; ${s.requiresPro} need Ubuntu Pro), ${s.installed} installed, ${s.cves} CVEs open${s.note ? `\nnote: ${s.note}` : ''}\n`,
  );
}

export function registerAssess(program: Command): void {
  program
    .command('assess')
    .description('offline: which advisories a host is missing, from a package or hotfix list and the imported catalog')
    .option('--data-dir <dir>', 'controller data directory holding the imported catalog (default .patchfleet/controller)')
    .option('--database-url <url>', 'read the catalog from PostgreSQL instead')
    .option('--os <os>', 'ubuntu-YY.MM (e.g. ubuntu-24.04) or windows')
    .option('--dpkg <file>', "Ubuntu: output of dpkg-query -W -f='${binary:Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n'")
    .option('--build <build>', 'Windows: full build, e.g. 10.0.26100.4946')
    .option('--type <type>', 'Windows: client | server | server-core')
    .option('--arch <arch>', 'Windows: x64 | arm64 | x86')
    .option('--hotfix <file>', 'Windows: output of Get-HotFix | ConvertTo-Json (PowerShell 5.1 or 7)')
    .option('--hotpatch-enrolled', 'Windows: the host is enrolled in hotpatching')
    .option('--labels <k=v,...>', 'host labels that weigh priority: criticality=low|medium|high|critical, exposure=internet')
    .option('--at <iso-time>', 'assess as of this time (default now)')
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: AssessFlags & { dataDir?: string; databaseUrl?: string; hotpatchEnrolled?: boolean; labels?: string; at?: string; json?: boolean }) => {
        const input = await hostInput(opts);
        const now = opts.at ? Date.parse(opts.at) : Date.now();
        if (Number.isNaN(now)) throw new PfError(Errors.VALIDATION, `--at "${opts.at}" is not a date-time (e.g. 2025-12-20T00:00:00Z)`);
        const config = loadConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl } as never);
        const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
        try {
          const catalog = await loadCatalog(database.db);
          if (catalog.usns.length === 0 && catalog.kbs.length === 0) {
            throw new PfError(Errors.CATALOG_EMPTY, `no catalog imported in ${database.location}: run \`pnpm patchfleet catalog import\` first`);
          }
          const risk = hostRiskContext(opts.labels ? parseLabels(opts.labels) : {});
          for (const w of risk.warnings) process.stderr.write(`warning: ${w}\n`);
          const result = assessHost(input, prepareCatalog(catalog), { now, risk, sla: resolveSla(config.sla) });
          if (opts.json) printJson(result);
          else printHuman(result);
        } finally {
          await database.close();
        }
      }),
    );
}
