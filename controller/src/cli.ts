#!/usr/bin/env node
/** patchfleet: the controller's command line. */
import { Command } from 'commander';
import { registerAudit } from './cli/audit';
import { registerCatalog } from './cli/catalog';
import { registerEnrollToken } from './cli/enroll-token';
import { registerAssess } from './cli/assess';
import { registerHosts } from './cli/hosts';
import { registerHealth, registerHostHealth } from './cli/health';
import { registerProbes } from './cli/probes';
import { registerMitigations } from './cli/mitigations';
import { registerPatches } from './cli/patches';
import { registerRings } from './cli/rings';
import { registerBlocks } from './cli/blocks';
import { registerIncidents } from './cli/incidents';
import { registerRollout } from './cli/rollout';
import { registerUpdateAgent } from './cli/update-agent';
import { registerApiToken, registerHostRevoke } from './cli/api-token';
import { registerServe } from './cli/serve';
import { registerMigrate } from './cli/migrate';
import { registerUsers } from './cli/users';
import { registerSimulate } from './cli/simulate';
import { registerWebhooks } from './cli/webhooks';
import { PROTOCOL_VERSION } from '@patchfleet/shared';

const program = new Command('patchfleet')
  .description('Patchfleet controller: patch Windows and Linux fleets ring by ring, safely')
  .version(`patchfleet 0.1.0 (protocol ${PROTOCOL_VERSION})`, '--version')
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage errors exit 2, as is usual for CLIs; --help and --version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerServe(program);
registerMigrate(program);
registerEnrollToken(program);
registerHosts(program);
// `hosts revoke` lives with the other revocation commands.
const hostsCommand = program.commands.find((c) => c.name() === 'hosts');
if (hostsCommand) registerHostRevoke(hostsCommand);
if (hostsCommand) registerHostHealth(hostsCommand);
registerCatalog(program);
registerAssess(program);
registerRings(program);
registerBlocks(program);
registerIncidents(program);
registerRollout(program);
registerUpdateAgent(program);
registerApiToken(program);
registerUsers(program);
registerAudit(program);
registerPatches(program);
registerMitigations(program);
registerProbes(program);
registerHealth(program);
registerSimulate(program);
registerWebhooks(program);

await program.parseAsync(process.argv);
