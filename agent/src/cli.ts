#!/usr/bin/env node
/** patchfleet-agent: enroll | run | collect | status | version */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { uptime } from 'node:os';
import { HEALTH_INTERVAL, PROTOCOL_VERSION, systemClock } from '@patchfleet/shared';
import { collectInventory } from './collect/index';
import { Errors, isPfError, PfError } from '@patchfleet/shared/errors';
import { enroll, failoverUrls } from './identity/enroll';
import { identityPath, readIdentity } from './identity/state-dir';
import { AgentLink } from './link/link';
import type { LinkPort } from './link/ports';
import { linuxExecutors } from './act/linux/command-executors';
import { buildOfKernel, windowsExecutors } from './act/windows/command-executors';
import { initDpkgRoot } from './act/linux/dpkg-root';
import { CommandProcessor } from './commands/processor';
import type { CommandExecutors } from './commands/executors';
import { Outbox } from './link/outbox';
import { createAgentLogger } from './logger';
import { createAgentHealth } from './health/index';
import { HealthOutbox } from './health/health-outbox';
import { AGENT_VERSION } from './version';

const DEFAULT_STATE_DIR = process.platform === 'win32' ? `${process.env.ProgramData ?? 'C:\\ProgramData'}\\Patchfleet\\agent` : '/var/lib/patchfleet-agent';

function fail(err: unknown): never {
  if (isPfError(err)) process.stderr.write(`error ${err.code}: ${err.message}\n`);
  else process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
}

function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m?.[1]) throw new PfError(Errors.USAGE, `${flag} "${text}" is not a duration (e.g. 30s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** The executors of this platform, configured from `run`'s flags. */
function executorsFor(opts: { aptConfig?: string; aptTimeout: string; allowReboot?: boolean }, dpkgRoot: string | undefined, onPackagesChanged: () => void): CommandExecutors {
  const timeoutMs = parseDurationMs(opts.aptTimeout, '--apt-timeout');
  if (process.platform === 'win32') {
    return windowsExecutors({
      timeoutMs,
      allowReboot: opts.allowReboot === true,
      clock: systemClock,
      currentBuild: async () => buildOfKernel((await collectInventory()).host.os.kernel),
      onPackagesChanged,
    });
  }
  if (process.platform !== 'linux') throw new PfError(Errors.UNSUPPORTED_PLATFORM, `commands are not supported on ${process.platform}; run with --no-commands`);
  return linuxExecutors({
    dpkgRoot,
    aptConfigFile: opts.aptConfig,
    timeoutMs,
    lockTimeoutSec: 300,
    allowReboot: opts.allowReboot === true,
    clock: systemClock,
    onPackagesChanged,
  });
}

const program = new Command('patchfleet-agent')
  .description('Patchfleet agent: reports this host to the controller and carries out its signed commands')
  .version(`patchfleet-agent ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION})`, '--version')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('enroll')
  .description('make this host\'s key pair, pin the controller and register with an enrollment token')
  .requiredOption('--server <url>', 'controller, wss://HOST:PORT')
  .option('--token <token>', 'enrollment token (default: PATCHFLEET_ENROLL_TOKEN)')
  .requiredOption('--ca-fingerprint <hex>', 'SHA-256 of the controller certificate (bootstrap.json caFingerprint)')
  .option('--state-dir <dir>', 'where the identity and outbox live', DEFAULT_STATE_DIR)
  .option('--force', 'enroll again even if this state directory is enrolled')
  .option('--failover <urls>', 'other replicas of the same controller (same certificate and command key), comma-separated wss://HOST:PORT; tried in turn when the current one is unreachable or full')
  .option('--if-not-enrolled', 'exit 0 without enrolling when this state directory is already enrolled (installers: a reinstall over kept state)')
  .action(async (opts: { server: string; token?: string; caFingerprint: string; stateDir: string; force?: boolean; failover?: string; ifNotEnrolled?: boolean }) => {
    try {
      if (opts.ifNotEnrolled && opts.force) throw new PfError(Errors.USAGE, '--if-not-enrolled and --force contradict each other');
      if (opts.ifNotEnrolled && existsSync(identityPath(opts.stateDir))) {
        const id = readIdentity(opts.stateDir);
        process.stdout.write(`already enrolled as ${id.agentId} with ${id.serverUrl}; nothing to do\n`);
        return;
      }
      const token = opts.token ?? process.env.PATCHFLEET_ENROLL_TOKEN;
      if (!token) throw new PfError(Errors.USAGE, 'no enrollment token: pass --token or set PATCHFLEET_ENROLL_TOKEN');
      const identity = await enroll({ server: opts.server, token, caFingerprint: opts.caFingerprint, stateDir: opts.stateDir, force: opts.force === true, ...(opts.failover !== undefined ? { failover: opts.failover } : {}) });
      process.stdout.write(`enrolled as ${identity.agentId} with ${identity.serverUrl}\nidentity: ${identityPath(opts.stateDir)}\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('run')
  .description('connect, report inventory (full, then deltas) and heartbeats; reconnect when the link drops')
  .option('--state-dir <dir>', 'state directory', DEFAULT_STATE_DIR)
  .option('--once', 'send one full report, wait for its acknowledgement and exit')
  .option('--interval <duration>', 'how often to collect inventory and report changes', '15m')
  .option('--timeout <duration>', 'with --once: give up after this long', '120s')
  .option('--dpkg-root <dir>', 'report and patch an isolated dpkg root instead of this machine (tests, chroots)')
  .option('--apt-config <file>', 'apt.conf file given to apt-get/apt-cache with -c (private sources, e.g. an air-gapped mirror)')
  .option('--apt-timeout <duration>', 'longest one apt-get (Windows: WUA/wusa/DISM) run may take before it is killed', '30m')
  .option('--allow-reboot', 'reboot this host when a signed reboot command says so (otherwise such commands fail with PF_ERR_REBOOT_DISABLED)')
  .option('--no-commands', 'report only; do not accept commands')
  .option('--health-interval <duration>', 'how often to close a health sample until the controller sends its own interval (healthConfig, stored in the state directory, wins)', '5m')
  .option('--no-health', 'do not sample health (crashes, failed services, unexpected shutdowns, probes) nor announce health/1')
  .option('--failover <urls>', 'replicas to fail over to for this run, comma-separated wss://HOST:PORT, instead of those given at enrollment (default: PATCHFLEET_FAILOVER)')
  .action(async (opts: { stateDir: string; once?: boolean; interval: string; timeout: string; dpkgRoot?: string; aptConfig?: string; aptTimeout: string; allowReboot?: boolean; commands: boolean; healthInterval: string; health: boolean; failover?: string }) => {
    try {
      const log = createAgentLogger();
      const enrolled = readIdentity(opts.stateDir);
      const failoverList = opts.failover ?? process.env.PATCHFLEET_FAILOVER;
      const identity = failoverList === undefined ? enrolled : { ...enrolled, failoverUrls: failoverUrls(failoverList, enrolled.wsUrl) };
      const outbox = new Outbox(opts.stateDir);
      const dpkgRoot = opts.dpkgRoot ? await initDpkgRoot(opts.dpkgRoot) : undefined;
      const healthIntervalSec = Math.round(parseDurationMs(opts.healthInterval, '--health-interval') / 1000);
      if (healthIntervalSec < HEALTH_INTERVAL.minSec || healthIntervalSec > HEALTH_INTERVAL.maxSec) {
        throw new PfError(Errors.USAGE, `--health-interval must be between ${HEALTH_INTERVAL.minSec}s and ${HEALTH_INTERVAL.maxSec}s`);
      }
      // Windows has no boot id: the inventory's (from the boot time) is used, remembered from the latest collection.
      let lastHost: { bootId: string; uptimeSec: number } | undefined;
      const collect = async () => {
        const inventory = await collectInventory({ ...(dpkgRoot ? { dpkgRoot } : {}), onWarning: (message, err) => log.warn({ err: (err as Error | undefined)?.message }, message) });
        lastHost = { bootId: inventory.host.bootId, uptimeSec: inventory.host.uptimeSec };
        return inventory;
      };
      // Not in --once: a one-shot report has no interval to sample.
      const health =
        opts.health && !opts.once
          ? createAgentHealth({
              stateDir: opts.stateDir,
              clock: systemClock,
              log,
              platform: process.platform,
              defaultIntervalSec: healthIntervalSec,
              trust: { agentId: identity.agentId, commandKey: identity.commandKey },
              ...(process.platform === 'win32' ? { boot: () => Promise.resolve({ bootId: lastHost?.bootId ?? '', uptimeSec: Math.floor(uptime()) }) } : {}),
            })
          : undefined;
      // Wired in one direction: the link builds the processor with its own port (statuses out, a report after an install).
      const link = new AgentLink({
        identity,
        outbox,
        clock: systemClock,
        log,
        collect,
        inventoryIntervalMs: parseDurationMs(opts.interval, '--interval'),
        ...(health ? { health: health.delivery } : {}),
        ...(opts.commands
          ? {
              commands: (port: LinkPort) =>
                new CommandProcessor({
                  stateDir: opts.stateDir,
                  agentId: identity.agentId,
                  commandKey: identity.commandKey,
                  clock: systemClock,
                  log,
                  executors: executorsFor(opts, dpkgRoot, () => port.reportSoon()),
                  send: (status) => void port.sendStatus(status),
                }),
            }
          : {}),
      });
      const timeoutMs = parseDurationMs(opts.timeout, '--timeout');
      const seq = await link.queueInventory(true);
      if (opts.once) {
        const timer = setTimeout(() => fail(new PfError(Errors.TIMEOUT, `report ${seq} was not acknowledged within ${opts.timeout}`)), timeoutMs);
        const loop = link.runLoop(true);
        await Promise.race([link.waitForAck(seq as number), loop]);
        clearTimeout(timer);
        link.stop();
        await loop;
        process.stdout.write(`report ${seq} acknowledged\n`);
        process.exit(0);
      }
      // The clock's timers do not hold the process open (so tests and --once can end);
      // a running agent must stay up through reconnect delays, so hold it open here.
      const keepAlive = setInterval(() => undefined, 3_600_000);
      const stop = () => {
        clearInterval(keepAlive);
        health?.sampler.stop();
        link.stop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      link.startInventoryTimer();
      health?.sampler.start();
      await link.runLoop(false);
      await link.commands?.idle();
      clearInterval(keepAlive);
      log.info('agent stopped');
    } catch (err) {
      fail(err);
    }
  });

program
  .command('collect')
  .description('print what this agent would report')
  .option('--json', 'print the whole inventory as JSON')
  .action(async (opts: { json?: boolean }) => {
    try {
      const inventory = await collectInventory();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
        return;
      }
      const h = inventory.host;
      process.stdout.write(
        [
          `host:      ${h.hostname}`,
          `os:        ${h.os.name} (${h.os.id} ${h.os.version}), kernel ${h.os.kernel}, ${h.os.arch}`,
          `hardware:  ${h.hardware.vendor} ${h.hardware.model} serial ${h.hardware.serial || '-'}`,
          `cpu/mem:   ${h.cpu.brand}, ${h.cpu.cores} cores, ${(h.memory.totalBytes / 2 ** 30).toFixed(1)} GiB`,
          `reboot:    ${h.pendingReboot.required ? `required (${h.pendingReboot.reasons.join('; ')})` : 'not required'}`,
          `packages:  ${inventory.packages.length} (${h.packageManagers.join(', ')})`,
        ].join('\n') + '\n',
      );
    } catch (err) {
      fail(err);
    }
  });

program
  .command('status')
  .description('show this agent\'s identity, queued reports and queued health samples')
  .option('--state-dir <dir>', 'state directory', DEFAULT_STATE_DIR)
  .option('--json', 'print JSON')
  .action((opts: { stateDir: string; json?: boolean }) => {
    try {
      if (!existsSync(identityPath(opts.stateDir))) throw new PfError(Errors.NOT_ENROLLED, `not enrolled (no ${identityPath(opts.stateDir)})`);
      const id = readIdentity(opts.stateDir);
      const outbox = new Outbox(opts.stateDir);
      const pending = outbox.pending().map((r) => ({ seq: r.seq, kind: r.kind, packages: r.packages.length }));
      const healthOutbox = new HealthOutbox(opts.stateDir);
      const health = { queued: healthOutbox.size(), lastSeq: healthOutbox.lastSeq() };
      const status = { agentId: id.agentId, server: id.serverUrl, caFingerprint: id.caFingerprint, enrolledAt: id.enrolledAt, lastSeq: outbox.lastSeq(), pending, health };
      if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(`agent ${status.agentId}\nserver ${status.server}\nenrolled ${status.enrolledAt}\nreports queued: ${pending.length} (last seq ${status.lastSeq})\nhealth samples queued: ${health.queued} (last seq ${health.lastSeq})\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('version')
  .description('print the agent version')
  .action(() => {
    process.stdout.write(`patchfleet-agent ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION})\n`);
  });

// No top-level await: the single executable runs this as CommonJS (Node 24's SEA has no ESM entry).
program.parseAsync(process.argv).catch(fail);
