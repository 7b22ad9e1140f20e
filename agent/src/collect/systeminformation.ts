/**
 * The four systeminformation calls the agent makes, each imported from its
 * own file of the package rather than from its index, which loads all of
 * its modules (wifi, docker, bluetooth, graphics, ...): the bundled agent
 * keeps its whole source in memory, and this leaves out about 170 KiB of it.
 * Types still come from the package's own declarations.
 */
import type { Systeminformation } from 'systeminformation';
import { cpu } from 'systeminformation/lib/cpu.js';
import { blockDevices } from 'systeminformation/lib/filesystem.js';
import { system } from 'systeminformation/lib/system.js';
import { users } from 'systeminformation/lib/users.js';

export type { Systeminformation };
export { blockDevices, cpu, system, users };
