/** Reads deploy/container/Dockerfile into stages of instructions, for the deployment tests to check. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/processes';

export const DOCKERFILE = join(REPO_ROOT, 'deploy/container/Dockerfile');

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
export function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    if (!m?.[1]) continue;
    const op = m[1].toUpperCase();
    const args = m[2] ?? '';
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: from?.[1] ?? args, name: from?.[2], instructions: [] });
    } else if (stages.length === 0) globalArgs.push({ op, args });
    else stages[stages.length - 1]?.instructions.push({ op, args });
  }
  return { globalArgs, stages };
}

export function readDockerfile(): { globalArgs: Instruction[]; stages: Stage[] } {
  return parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
}

/** The exec-form array of an instruction (ENTRYPOINT ["a", "b"]); fails on the shell form. */
export function execForm(args: string): string[] {
  return JSON.parse(args) as string[];
}

/** The ENV settings of a stage, from `ENV A=1 B=2` lines. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) if (m[1] && m[2]) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}

/** The command the HEALTHCHECK runs (exec form). */
export function healthcheckCommand(stage: Stage): string[] {
  const hc = stage.instructions.find((i) => i.op === 'HEALTHCHECK');
  if (!hc) throw new Error('no HEALTHCHECK');
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(hc.args);
  if (!cmd?.[1]) throw new Error(`HEALTHCHECK is not in exec form: ${hc.args}`);
  return JSON.parse(cmd[1]) as string[];
}
