/**
 * A fleet for `pnpm bench:api`, written with set-based SQL (generate_series,
 * INSERT ... SELECT): `hosts` hosts (60 % Ubuntu, 40 % Windows) in 12 sites
 * and 4 roles, with addresses, serials, logged-in users and labels, a
 * session each, a ring, patch state (about 4 missing patches a host with
 * priority and deadline, 16 installed), 20 rollouts over 60 days reaching a
 * fifth of the fleet each with their commands and audit entries (waves,
 * command issues, halts), and a few blocks. Installed package lists are not
 * written: no measured route reads them (host pages show the count).
 * Deterministic for a given `now`.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '@patchfleet/controller/src/db/index';
import { rings } from '@patchfleet/controller/src/db/schema/index';
import { DEFAULT_RINGS } from '@patchfleet/controller/src/rollout/ring-defaults';

const DAY = 86_400_000;
export const SITES = ['lon', 'par', 'fra', 'ams', 'mad', 'mil', 'nyc', 'chi', 'sfo', 'tok', 'syd', 'sin'];
const ROLES = ['web', 'db', 'app', 'desk'];
export const USNS = 40;
export const KBS = 20;
export const ROLLOUTS = 20;

/** The hostname of host `i` (1-based): `<site>-<role>-<6 digits>`, e.g. `par-db-000042`. */
export function benchHostname(i: number): string {
  return `${SITES[i % SITES.length]}-${ROLES[Math.floor(i / SITES.length) % ROLES.length]}-${String(i).padStart(6, '0')}`;
}

/** The first address of host `i`: 10.<i>>16>.<i>>8 & 255>.<i & 255>. */
export function benchAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Runs each step and logs how long it took. */
export async function seedApiFleet(db: Db, opts: { hosts: number; now: number; log: (line: string) => void }): Promise<Record<string, number>> {
  const { hosts: n, now, log } = opts;
  const iso = (ms: number) => new Date(ms).toISOString();
  const at = (ms: number) => sql`${iso(ms)}::timestamptz`;
  const timings: Record<string, number> = {};
  const step = async (name: string, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    timings[name] = Math.round(performance.now() - t);
    log(`seed: ${name} ${timings[name]} ms`);
  };
  const sites = sql.raw(`(array[${SITES.map((s) => `'${s}'`).join(',')}])`);
  const roles = sql.raw(`(array[${ROLES.map((s) => `'${s}'`).join(',')}])`);

  await step('catalog', async () => {
    await db.execute(sql`insert into catalog_usns (id, title, details, published, modified, cves, cve_facts, content_hash)
      select 'USN-' || (9000 + u) || '-1', 'bench notice ' || u, '', to_char(${at(now)} - (u * 3) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(${at(now)} - (u * 3) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), jsonb_build_array('CVE-2026-' || u), '[]'::jsonb, 'h' || u
      from generate_series(1, ${USNS}) u`);
    await db.execute(sql`insert into catalog_kbs (id, month, title, cves, supersedes, hotpatch)
      select 'KB59' || lpad(k::text, 5, '0'), to_char(${at(now)} - (k / 4) * interval '1 month', 'YYYY-MM'), 'bench update ' || k, jsonb_build_array('CVE-2026-9' || k), '[]'::jsonb, false
      from generate_series(1, ${KBS}) k`);
  });

  await step('hosts', () =>
    db.execute(sql`insert into hosts (id, hostname, fqdn, os_platform, os_id, os_name, os_version, kernel, arch, hw_vendor, hw_model, hw_serial,
        addresses, login_users, labels, facts, status, enrolled_at, last_seen_at, last_report_at, package_count)
      select 'h' || lpad(i::text, 7, '0'), h.name, h.name || '.corp.example',
        case when win then 'windows' else 'linux' end, case when win then 'windows' else 'ubuntu' end,
        case when win then 'Windows 11 Enterprise' else 'Ubuntu 24.04.1 LTS' end, case when win then '10.0.26100' else '24.04' end,
        case when win then '10.0.26100.4946' else '6.8.0-' || (40 + i % 20) || '-generic' end, 'x86_64',
        case when i % 3 = 0 then 'Dell Inc.' when i % 3 = 1 then 'LENOVO' else 'HP' end, 'Model-' || (i % 17), 'SN' || upper(substr(md5(i::text), 1, 10)),
        array['10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255), '172.16.' || (i % 250) || '.' || (i % 200 + 1)],
        array[case when win then 'CORP\\user' || (i % 20000) else 'user' || (i % 20000) end],
        jsonb_build_object('site', ${sites}[1 + i % 12], 'role', ${roles}[1 + (i / 12) % 4], 'criticality', case when i % 10 = 0 then 'high' else 'medium' end),
        jsonb_build_object('hostname', h.name, 'os', jsonb_build_object('platform', case when win then 'windows' else 'linux' end, 'id', case when win then 'windows' else 'ubuntu' end,
            'name', case when win then 'Windows 11 Enterprise' else 'Ubuntu 24.04.1 LTS' end, 'version', case when win then '10.0.26100' else '24.04' end,
            'kernel', case when win then '10.0.26100.4946' else '6.8.0-45-generic' end, 'arch', case when win then 'x64' else 'x86_64' end),
          'windows', case when win then jsonb_build_object('installationType', 'Client') end,
          'users', jsonb_build_array(jsonb_build_object('user', 'user' || (i % 20000), 'tty', 'pts/0')),
          'pendingReboot', jsonb_build_object('required', i % 25 = 0, 'reasons', '[]'::jsonb),
          'disks', jsonb_build_array(jsonb_build_object('name', 'sda', 'type', 'SSD', 'sizeBytes', 512000000000)),
          'cpu', jsonb_build_object('brand', 'Bench CPU', 'cores', 8, 'physicalCores', 4, 'speedGHz', 3.1)),
        'active', ${at(now - 200 * DAY)} + (i % 100) * interval '1 day',
        case when i % 33 = 0 then ${at(now - 12 * DAY)} else ${at(now)} - (i % 3600) * interval '1 second' end,
        ${at(now - 3600_000)}, case when win then 180 else 1500 end
      from generate_series(1, ${n}) i, lateral (select i % 5 < 2 as win, ${sites}[1 + i % 12] || '-' || ${roles}[1 + (i / 12) % 4] || '-' || lpad(i::text, 6, '0') as name) h`),
  );

  await step('sessions', () =>
    db.execute(sql`insert into host_sessions (id, host_id, controller_id, remote_address, agent_version, connected_at, last_seen_at, disconnected_at)
      select 's' || h.id, h.id, 'ctl_bench', h.addresses[1], '1.0.0', h.enrolled_at, coalesce(h.last_seen_at, h.enrolled_at),
        case when h.last_seen_at < ${at(now - 3600_000)} then h.last_seen_at end
      from hosts h`),
  );

  await step('rings', async () => {
    await db.insert(rings).values(DEFAULT_RINGS.map((r) => ({ ...r, createdAt: new Date(now), updatedAt: new Date(now) })));
    await db.execute(sql`insert into ring_assignments (host_id, ring_id, reason, assigned_at)
      select id, case when n % 100 = 0 then 'rg_first' when n % 100 < 10 then 'rg_fast' else 'rg_broad' end, 'auto', ${at(now - 30 * DAY)}
      from (select id, row_number() over (order by id) as n from hosts) h`);
  });

  // Missing: 0-8 patches a host (about 4), USNs on Ubuntu, KBs on Windows; tier by hash; deadline = release + the tier's SLA.
  await step('patch state', async () => {
    await db.execute(sql`insert into host_patch_state (host_id, patch_id, kind, status, title, cves, score, tier, due_by, reasons, assessed_at)
      select h.id, p.id, p.kind, 'missing', p.title, p.cves, t.score, t.tier, p.released + t.sla * interval '1 day',
        jsonb_build_array(t.tier || ' tier: bench'), ${at(now - 3600_000)}
      from (select id, row_number() over (order by id) as n, os_id from hosts) h
      cross join lateral (select k from generate_series(0, (h.n % 9)::int - 1) k) m
      cross join lateral (
        select case when h.os_id = 'windows' then 'KB59' || lpad((1 + (h.n + m.k * 7) % ${KBS})::text, 5, '0') else 'USN-' || (9001 + (h.n + m.k * 7) % ${USNS}) || '-1' end as pid
      ) pick
      join lateral (
        select u.id, 'usn' as kind, u.title, u.cves, u.published::timestamptz as released from catalog_usns u where u.id = pick.pid
        union all
        select k.id, 'kb', k.title, k.cves, (k.month || '-10T17:00:00Z')::timestamptz from catalog_kbs k where k.id = pick.pid
      ) p on true
      cross join lateral (
        select case when x < 10 then 'critical' when x < 35 then 'high' when x < 80 then 'medium' else 'low' end as tier,
               case when x < 10 then 2 when x < 35 then 7 when x < 80 then 30 else 90 end as sla,
               case when x < 10 then 85 when x < 35 then 65 when x < 80 then 45 else 20 end as score
        from (select abs(hashtext(h.id || p.id)) % 100 as x) r
      ) t
      on conflict do nothing`);
    await db.execute(sql`insert into host_patch_state (host_id, patch_id, kind, status, assessed_at)
      select h.id, case when h.os_id = 'windows' then 'KB58' || lpad(k::text, 5, '0') else 'USN-' || (8000 + k) || '-1' end,
        case when h.os_id = 'windows' then 'kb' else 'usn' end, 'installed', ${at(now - 3600_000)}
      from hosts h, generate_series(1, 16) k`);
    // As assess/host-state.ts writes it beside the rows.
    await db.execute(sql`insert into host_patch_summary (host_id, missing, first_due_by, assessed_at)
      select host_id, count(*) filter (where status = 'missing'), min(due_by) filter (where status = 'missing'), max(assessed_at) from host_patch_state group by host_id`);
  });

  // 20 rollouts, one every 3 days back from now; each reaches the hosts with (n + r) % 5 = 0 (a fifth of the fleet).
  await step('rollouts', async () => {
    await db.execute(sql`insert into rollouts (id, name, content, state, state_reason, expedite, released_at, created_by, created_at, updated_at)
      select 'ro_b' || r, 'bench rollout ' || r, jsonb_build_object('patches', jsonb_build_array('USN-' || (9000 + r) || '-1'), 'packages', '[]'::jsonb),
        case when r <= 2 then 'active' when r = 7 then 'halted' else 'completed' end, null, false,
        ${at(now)} - (r * 3 + 2) * interval '1 day', 'token:bench', ${at(now)} - (r * 3 + 1) * interval '1 day', ${at(now)} - (r * 3) * interval '1 day'
      from generate_series(1, ${ROLLOUTS}) r`);
    await db.execute(sql`insert into rollout_rings (rollout_id, ring_id, ring_name, position, state, state_at, eligible_at, deadline_at, grace_ends_at)
      select ro.id, rg.id, rg.name, rg.position, 'passed', ro.updated_at, ro.released_at, ro.released_at + interval '5 days', ro.released_at + interval '7 days'
      from rollouts ro cross join rings rg`);
    // Outcome by hash: 90 % succeeded (2 % of them rolled back since), 4 % failed, the rest pending in live rollouts (succeeded elsewhere).
    await db.execute(sql`insert into rollout_hosts (rollout_id, host_id, ring_id, state, state_at, installed_at, tier, due_by, install_command_id, command_id, boot_state, error_code)
      select ro.id, h.id, ra.ring_id, o.state,
        case when o.state = 'pending' then ro.created_at else o.done end,
        case when o.state in ('succeeded', 'rolled-back') then o.done end,
        (array['critical', 'high', 'medium', 'low'])[1 + h.n % 4], ro.released_at + (array[2, 7, 30, 90])[1 + h.n % 4] * interval '1 day',
        case when o.state <> 'pending' then 'cm_' || ro.id || '_' || h.id end, case when o.state <> 'pending' then 'cm_' || ro.id || '_' || h.id end,
        case when o.state = 'succeeded' and h.n % 50 = 0 then 'expected' else 'none' end,
        case when o.state = 'failed' then 'PF_ERR_INSTALL_FAILED' end
      from rollouts ro
      join (select id, row_number() over (order by id) as n from hosts) h on (h.n + substr(ro.id, 5)::int) % 5 = 0
      join ring_assignments ra on ra.host_id = h.id
      cross join lateral (select abs(hashtext(ro.id || h.id)) % 100 as x,
        ro.created_at + (abs(hashtext(h.id || ro.id)) % 4320) * interval '1 minute' as done) hx
      cross join lateral (select case when ro.state = 'active' and hx.x >= 70 then 'pending' when hx.x < 4 then 'failed' when hx.x < 6 then 'rolled-back' else 'succeeded' end as state, least(hx.done, ${at(now)}) as done) o`);
  });

  await step('commands', () =>
    db.execute(sql`insert into commands (id, host_id, action, target, params, issued_at, not_after, signature, state, state_at, sent_at, finished_at, rollout_id, ring_id, error_code, created_by)
      select rh.install_command_id, rh.host_id, 'install', r.name, jsonb_build_object('packages', '[]'::jsonb), coalesce(rh.installed_at, rh.state_at) - interval '20 minutes',
        coalesce(rh.installed_at, rh.state_at) + interval '1 day', 'sig', case when rh.state = 'failed' then 'failed' else 'succeeded' end, coalesce(rh.installed_at, rh.state_at),
        coalesce(rh.installed_at, rh.state_at) - interval '19 minutes', coalesce(rh.installed_at, rh.state_at), rh.rollout_id, rh.ring_id, rh.error_code, 'system'
      from rollout_hosts rh join rollouts r on r.id = rh.rollout_id
      where rh.install_command_id is not null`),
  );

  await step('audit', async () => {
    await db.execute(sql`insert into audit_log (at, actor, action, target_type, target_id, details)
      select c.issued_at, 'system', 'command.issue', 'command', c.id, jsonb_build_object('hostId', c.host_id, 'rolloutId', c.rollout_id) from commands c`);
    // One wave entry per 200 hosts of a rollout, naming them.
    await db.execute(sql`insert into audit_log (at, actor, action, target_type, target_id, details)
      select min(c.issued_at), 'system', 'rollout.wave', 'rollout', c.rollout_id, jsonb_build_object('hosts', jsonb_agg(c.host_id))
      from (select c.*, row_number() over (partition by rollout_id order by host_id) / 200 as wave from commands c) c
      group by c.rollout_id, c.wave`);
    await db.execute(sql`insert into audit_log (at, actor, action, target_type, target_id, details)
      select ro.updated_at, 'system', 'rollout.halted', 'rollout', ro.id, '{"reason":"bench"}'::jsonb from rollouts ro where ro.state = 'halted'`);
    await db.execute(sql`insert into patch_blocks (id, patch_id, host_class, state, reason, rollout_id, created_by, created_at)
      select 'bk_b' || b, 'USN-' || (9000 + b) || '-1', case when b % 2 = 0 then null else '["ubuntu","24.04","Model-1","web"]' end, 'active', 'bench', 'ro_b' || b, 'system', ${at(now)} - (b * 4) * interval '1 day'
      from generate_series(1, 5) b`);
  });

  // A steady-state database: autovacuum would have set the visibility map (index-only scans) and the statistics by now.
  await step('vacuum analyze', () => db.execute(sql`vacuum analyze`));
  return timings;
}
