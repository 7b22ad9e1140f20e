/**
 * What the rollout planner needs from the command area: signed, audited
 * commands written in the planner's own transaction, and a wake-up for the
 * replicas that hold the hosts once it commits. Nothing else of the command
 * service (delivery, statuses, the signing key) is the planner's business.
 */
import type { Db, Tx } from '../db/index';
import type { CommandRow, CommandSpec } from '../commands/command-store';

export interface CommandWriter {
  /** Creates signed, audited commands in `db` (the transaction that decides them). */
  create(db: Db | Tx, specs: readonly CommandSpec[], actor: string): Promise<CommandRow[]>;
  /** After the commit: wakes the replicas holding these hosts. */
  announce(hostIds: readonly string[]): Promise<void>;
}
