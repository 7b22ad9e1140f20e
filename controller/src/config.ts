/**
 * One configuration schema: defaults < config file < environment < flags,
 * validated once and frozen. Nothing else reads process.env for settings.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { SlaSchema } from './scoring/sla';
import { patchfleetHome } from './local-home';
import { parseRoleMap } from './oidc/role-map';
import { FACILITIES } from './syslog/format';
import { parseSyslogUrl } from './syslog/target';

/** Where the advisory feeds come from and when they are refreshed. Every URL is optional. */
export const FeedsSchema = Type.Object(
  {
    /** A JSON file of one USN OSV record or an array of them (plain or gzip). */
    usnOsvUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** MSRC CVRF API base; `<base>/<YYYY-Mon>` is fetched, e.g. https://api.msrc.microsoft.com/cvrf/v3.0/cvrf */
    msrcCvrfUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** How many months of MSRC documents each refresh fetches, this month first (default 2). */
    msrcMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 })),
    /** CISA KEV JSON, e.g. https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json */
    kevUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** FIRST EPSS daily CSV (gzip), e.g. https://epss.empiricalsecurity.com/epss_scores-current.csv.gz */
    epssUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Cron expression of the refresh, server local time (default `17 3 * * *`). */
    schedule: Type.Optional(Type.String({ minLength: 1 })),
    /** Seconds one download may take (default 120). */
    timeoutSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);
export type FeedsConfig = Static<typeof FeedsSchema>;

/** Defaults of the optional single sign-on settings (oidc/). */
export const OIDC_DEFAULTS = { scopes: 'openid profile email', roleClaim: 'groups', nameClaim: 'preferred_username', createUsers: true, name: 'Single sign-on' } as const;

/** Defaults of the optional feed settings. */
export const FEED_DEFAULTS = { schedule: '17 3 * * *', msrcMonths: 2, timeoutSec: 120 } as const;

export const ConfigSchema = Type.Object(
  {
    /** Where PGlite, the certificate, the keys and bootstrap.json live. */
    dataDir: Type.String({ minLength: 1 }),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** PostgreSQL URL; empty means embedded PGlite in the data directory. */
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    /** Embedded database only: its page cache (shared_buffers) in MiB; default 128, PGlite's own. */
    embeddedCacheMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 2048 })),
    tlsCert: Type.Optional(Type.String({ minLength: 1 })),
    tlsKey: Type.Optional(Type.String({ minLength: 1 })),
    /** Plain HTTP/WS, for debugging only. */
    insecure: Type.Boolean(),
    /** Public URL written to bootstrap.json; derived from host and port when absent. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    heartbeatSec: Type.Integer({ minimum: 1, maximum: 3600 }),
    maxFrameBytes: Type.Integer({ minimum: 4096, maximum: 16 * 1024 * 1024 }),
    /**
     * Bytes (frames as received) one unfinished chunked inventory report may
     * hold per session; past it the partial report is dropped and the agent
     * told PF_ERR_REPORT_TOO_LARGE. Default 8 MiB (about 50,000 packages).
     */
    maxReportBytes: Type.Optional(Type.Integer({ minimum: 64 * 1024, maximum: 512 * 1024 * 1024 })),
    /** Seconds an unfinished chunked report may wait for its remaining parts (PF_ERR_REPORT_TIMEOUT). Default 120. */
    reportTimeoutSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    /** Frames per second an agent may send, sustained; bursts up to 4x. */
    agentFramesPerSec: Type.Integer({ minimum: 1, maximum: 10_000 }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    /**
     * Advisory feeds the controller downloads and imports on a schedule
     * (catalog/refresh.ts); without any URL nothing is fetched and the catalog
     * is what `catalog import` put there (air-gapped sites).
     */
    feeds: Type.Optional(FeedsSchema),
    /** Days to remediate per priority tier; unset tiers keep the defaults (scoring/sla.ts resolveSla). */
    sla: Type.Optional(SlaSchema),
    /** Seconds between rollout planner rounds (node-cron, one replica at a time). */
    rolloutTickSec: Type.Integer({ minimum: 1, maximum: 59 }),
    /**
     * Virtual time for rollout schedules only (deferrals, windows, soak,
     * deadlines): `<virtual start ISO>,<real start ISO>,<speed>`. For tests
     * and demonstrations; sessions, commands and the audit log keep real time.
     */
    rolloutClock: Type.Optional(Type.String({ pattern: '^[^,]+,[^,]+,[0-9.]+$' })),
    /**
     * Simulation mode, for fleet simulators and tests only, never production:
     * the controller runs on a stepped virtual clock that only its simulator
     * moves (`sim.advance` over the Node IPC channel; controller/src/sim/control.ts),
     * for every time-dependent decision (windows, deferrals, soak, deadlines,
     * gates, health windows, scores, command expiry, last-seen times). Refused
     * together with `rolloutClock` and with feed URLs.
     */
    simulation: Type.Optional(Type.Boolean()),
    /** Simulation mode: the virtual clock's start (ISO 8601); default the wall clock at start. */
    simulationStart: Type.Optional(Type.String({ minLength: 1 })),
    /** Simulation mode: virtual seconds between planner rounds; default `rolloutTickSec`. */
    simulationTickSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** Days audit entries are kept (audit/retention.ts; default 400, at least 30, which the database trigger also enforces). */
    auditRetentionDays: Type.Optional(Type.Integer({ minimum: 30, maximum: 36_500 })),
    /** Seconds a new connection has to finish TLS and send its first request before it is closed (net/connection-guard.ts). */
    connectIdleSec: Type.Integer({ minimum: 1, maximum: 300 }),
    /** Unauthenticated connections (no agent session, no API token yet) one source address (IPv6: its /64) may hold. */
    maxConnectionsPerAddress: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Unauthenticated connections in total; at most half the connection cap. When full, the oldest that sent nothing yet is closed. */
    maxUnauthConnections: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** All connections (agents included); default: the open-file limit minus `fdReserve`. */
    maxConnections: Type.Optional(Type.Integer({ minimum: 16, maximum: 10_000_000 })),
    /** File descriptors kept free of connections for the database, files and logs (at most a quarter of the open-file limit). */
    fdReserve: Type.Integer({ minimum: 16, maximum: 100_000 }),
    /** Agent sessions this process holds; default: the connection cap less the unauthenticated share and `apiConnectionReserve`. Past it agents get PF_ERR_CONTROLLER_FULL. */
    maxAgents: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    /** Connections kept for API clients out of the agents' share (at most a quarter of the connection cap). */
    apiConnectionReserve: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    /** Seconds an agent refused with PF_ERR_CONTROLLER_FULL is told to wait before it tries again (it adds up to half of it as jitter). */
    agentFullRetrySec: Type.Integer({ minimum: 1, maximum: 3600 }),
    /** API requests one source address may make per minute. */
    apiRatePerMin: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Refused authentications (401) per source address and minute; past it the address gets 429 until the minute ends. */
    authFailuresPerMin: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Enrollment attempts per source address and minute. */
    enrollRatePerMin: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Seconds of one refusal-audit window: one audit row per address, action and window (audit/refusal-audit.ts). */
    refusalAuditSec: Type.Integer({ minimum: 1, maximum: 3600 }),
    /**
     * OpenID Connect single sign-on (oidc/, api/routes/oidc.ts): the identity
     * provider's issuer URL. Unset: no single sign-on, password sign-in only.
     * The other oidc settings go with it. HTTPS only (openid-client refuses plain HTTP).
     */
    oidcIssuer: Type.Optional(Type.String({ pattern: '^https://' })),
    /** The client id registered at the identity provider. */
    oidcClientId: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    /** The client's secret (a confidential client; never logged). It also keys the sign-on flow cookie, so at least 16 characters. */
    oidcClientSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 4096 })),
    /** Where the provider sends the browser back; default `<publicUrl>/api/v1/auth/oidc/callback`. Register this exact URL at the provider. */
    oidcRedirectUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Scopes asked for, space-separated, `openid` among them (default `openid profile email`). */
    oidcScopes: Type.Optional(Type.String({ minLength: 6, maxLength: 1000 })),
    /** The claim whose values map to roles, e.g. `groups` (default) or `patchfleet_role`; dots walk into objects (`realm_access.roles`). */
    oidcRoleClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Claim value -> role: `pf-admins=admin,pf-ops=operator,pf-helpdesk=helpdesk`, or a JSON object (oidc/role-map.ts). A user whose claim maps to no role is refused. */
    oidcRoleMap: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.String())])),
    /** Whether a user the controller does not know yet is created on first sign-in, with the mapped role (default true). */
    oidcCreateUsers: Type.Optional(Type.Boolean()),
    /** The claim a new user is named after (default `preferred_username`; then `email`, then the subject). */
    oidcNameClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** PEM file of the CA that issued the provider's TLS certificate, when it is not a public one. */
    oidcCaFile: Type.Optional(Type.String({ minLength: 1 })),
    /** What the dashboard's sign-on button says (default `Single sign-on`). */
    oidcName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** PEM file of extra CA certificates trusted for https webhook receivers (webhooks/worker.ts); the system CAs otherwise. */
    webhookCaFile: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Audit export to a SIEM (syslog/forwarder.ts): `tcp://host:port` (RFC 6587
     * octet counting) or `tls://host:port` (RFC 5425; default port 6514). Unset: no export.
     */
    syslogUrl: Type.Optional(Type.String({ pattern: '^(tcp|tls)://' })),
    /** PEM file of the CA that signed the syslog receiver's certificate (tls:// only); the system CAs otherwise. */
    syslogCaFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Syslog facility by name (RFC 5424): default local0. */
    syslogFacility: Type.Optional(Type.Union(Object.keys(FACILITIES).map((f) => Type.Literal(f)))),
    /** The message part: the audit entry as JSON (default) or as key=value pairs. */
    syslogFormat: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('kv')])),
    /** HOSTNAME of the messages; default this machine's name. */
    syslogHostname: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,255}$' })),
  },
  { additionalProperties: false },
);
export type Config = Readonly<Static<typeof ConfigSchema>>;

export const DEFAULTS: Omit<Config, 'dataDir'> = {
  host: '0.0.0.0',
  port: 8443,
  insecure: false,
  heartbeatSec: 30,
  maxFrameBytes: 1024 * 1024,
  agentFramesPerSec: 50,
  logLevel: 'info',
  rolloutTickSec: 5,
  connectIdleSec: 5,
  maxConnectionsPerAddress: 32,
  maxUnauthConnections: 2048,
  fdReserve: 256,
  apiConnectionReserve: 64,
  agentFullRetrySec: 60,
  apiRatePerMin: 3000,
  authFailuresPerMin: 30,
  enrollRatePerMin: 60,
  refusalAuditSec: 60,
};

const ENV: Record<string, keyof Config> = {
  PATCHFLEET_DATA_DIR: 'dataDir',
  PATCHFLEET_HOST: 'host',
  PATCHFLEET_PORT: 'port',
  DATABASE_URL: 'databaseUrl',
  PATCHFLEET_EMBEDDED_CACHE_MB: 'embeddedCacheMb',
  PATCHFLEET_TLS_CERT: 'tlsCert',
  PATCHFLEET_TLS_KEY: 'tlsKey',
  PATCHFLEET_PUBLIC_URL: 'publicUrl',
  PATCHFLEET_HEARTBEAT_SEC: 'heartbeatSec',
  PATCHFLEET_LOG_LEVEL: 'logLevel',
  PATCHFLEET_MAX_REPORT_BYTES: 'maxReportBytes',
  PATCHFLEET_REPORT_TIMEOUT_SEC: 'reportTimeoutSec',
  PATCHFLEET_ROLLOUT_TICK_SEC: 'rolloutTickSec',
  PATCHFLEET_ROLLOUT_CLOCK: 'rolloutClock',
  PATCHFLEET_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  PATCHFLEET_CONNECT_IDLE_SEC: 'connectIdleSec',
  PATCHFLEET_MAX_CONNECTIONS_PER_ADDRESS: 'maxConnectionsPerAddress',
  PATCHFLEET_MAX_UNAUTH_CONNECTIONS: 'maxUnauthConnections',
  PATCHFLEET_MAX_CONNECTIONS: 'maxConnections',
  PATCHFLEET_FD_RESERVE: 'fdReserve',
  PATCHFLEET_MAX_AGENTS: 'maxAgents',
  PATCHFLEET_API_CONNECTION_RESERVE: 'apiConnectionReserve',
  PATCHFLEET_AGENT_FULL_RETRY_SEC: 'agentFullRetrySec',
  PATCHFLEET_API_RATE_PER_MIN: 'apiRatePerMin',
  PATCHFLEET_AUTH_FAILURES_PER_MIN: 'authFailuresPerMin',
  PATCHFLEET_ENROLL_RATE_PER_MIN: 'enrollRatePerMin',
  PATCHFLEET_REFUSAL_AUDIT_SEC: 'refusalAuditSec',
  PATCHFLEET_SIMULATION: 'simulation',
  PATCHFLEET_SIM_START: 'simulationStart',
  PATCHFLEET_SIM_TICK_SEC: 'simulationTickSec',
  PATCHFLEET_OIDC_ISSUER: 'oidcIssuer',
  PATCHFLEET_OIDC_CLIENT_ID: 'oidcClientId',
  PATCHFLEET_OIDC_CLIENT_SECRET: 'oidcClientSecret',
  PATCHFLEET_OIDC_REDIRECT_URL: 'oidcRedirectUrl',
  PATCHFLEET_OIDC_SCOPES: 'oidcScopes',
  PATCHFLEET_OIDC_ROLE_CLAIM: 'oidcRoleClaim',
  PATCHFLEET_OIDC_ROLE_MAP: 'oidcRoleMap',
  PATCHFLEET_OIDC_CREATE_USERS: 'oidcCreateUsers',
  PATCHFLEET_OIDC_NAME_CLAIM: 'oidcNameClaim',
  PATCHFLEET_OIDC_CA_FILE: 'oidcCaFile',
  PATCHFLEET_OIDC_NAME: 'oidcName',
  PATCHFLEET_WEBHOOK_CA: 'webhookCaFile',
  PATCHFLEET_SYSLOG_URL: 'syslogUrl',
  PATCHFLEET_SYSLOG_CA: 'syslogCaFile',
  PATCHFLEET_SYSLOG_FACILITY: 'syslogFacility',
  PATCHFLEET_SYSLOG_FORMAT: 'syslogFormat',
  PATCHFLEET_SYSLOG_HOSTNAME: 'syslogHostname',
};
const NUMERIC = new Set<keyof Config>(['port', 'embeddedCacheMb', 'heartbeatSec', 'maxFrameBytes', 'maxReportBytes', 'reportTimeoutSec', 'agentFramesPerSec', 'rolloutTickSec', 'auditRetentionDays',
  'connectIdleSec', 'maxConnectionsPerAddress', 'maxUnauthConnections', 'maxConnections', 'fdReserve', 'maxAgents', 'apiConnectionReserve', 'agentFullRetrySec', 'apiRatePerMin', 'authFailuresPerMin', 'enrollRatePerMin', 'refusalAuditSec',
  'simulationTickSec',
]);
/** Settings read from the environment as booleans: 1/true and 0/false (anything else fails validation). */
const BOOLEAN = new Set<keyof Config>(['simulation', 'oidcCreateUsers']);
const booleanOf = (value: string): boolean | string => (/^(1|true)$/i.test(value) ? true : /^(0|false)$/i.test(value) ? false : value);

const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(ConfigSchema);

/** Builds the frozen config. `flags` hold only what the user set on the command line. */
export function loadConfig(flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv = process.env): Config {
  // PATCHFLEET_DATA_DIR (below) or --data-dir win over it.
  const merged: Record<string, unknown> = { dataDir: join(patchfleetHome(env), 'controller'), ...DEFAULTS };
  const configFile = (flags as { configFile?: string }).configFile ?? env.PATCHFLEET_CONFIG;
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new PfError(Errors.CONFIG, `cannot read config file ${configFile}: ${(err as Error).message}`);
    }
    try {
      Object.assign(merged, JSON.parse(text));
    } catch (err) {
      throw new PfError(Errors.CONFIG, `config file ${configFile} is not valid JSON: ${(err as Error).message}`);
    }
  }
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') merged[key] = NUMERIC.has(key) ? Number(value) : BOOLEAN.has(key) ? booleanOf(value) : value;
  }
  for (const [key, value] of Object.entries(flags as Record<string, unknown>)) {
    if (key === 'configFile' || value === undefined) continue;
    merged[key] = NUMERIC.has(key as keyof Config) ? Number(value) : value;
  }
  if (!validate(merged)) {
    const detail = (validate.errors ?? [])
      .map((e: { instancePath: string; message?: string; params: { additionalProperty?: string } }) =>
        // An unknown key (a typo in the config file) is reported at the root: name the key itself.
        e.params.additionalProperty !== undefined ? `unknown setting "${e.params.additionalProperty}"` : `${e.instancePath.slice(1) || 'config'} ${e.message}`,
      )
      .join('; ');
    throw new PfError(Errors.CONFIG, `invalid configuration: ${detail}`);
  }
  if (Boolean(merged.tlsCert) !== Boolean(merged.tlsKey)) {
    throw new PfError(Errors.CONFIG, 'invalid configuration: --tls-cert and --tls-key go together');
  }
  checkSimulation(merged as Config);
  checkOidc(merged as Config);
  checkSyslog(merged as Config);
  merged.dataDir = resolve(String(merged.dataDir));
  return Object.freeze(merged as Config);
}

const OIDC_KEYS = ['oidcClientId', 'oidcClientSecret', 'oidcRedirectUrl', 'oidcScopes', 'oidcRoleClaim', 'oidcRoleMap', 'oidcCreateUsers', 'oidcNameClaim', 'oidcCaFile', 'oidcName'] as const;

/** Single sign-on needs its issuer, client id, secret and role map together; the scopes must ask for `openid`. */
function checkOidc(c: Config): void {
  if (c.oidcIssuer === undefined) {
    const stray = OIDC_KEYS.filter((k) => c[k] !== undefined);
    if (stray.length > 0) throw new PfError(Errors.CONFIG, `invalid configuration: ${stray.join(', ')} need oidcIssuer (PATCHFLEET_OIDC_ISSUER)`);
    return;
  }
  const missing = (['oidcClientId', 'oidcClientSecret', 'oidcRoleMap'] as const).filter((k) => c[k] === undefined);
  if (missing.length > 0) throw new PfError(Errors.CONFIG, `invalid configuration: single sign-on (oidcIssuer) also needs ${missing.join(', ')}`);
  parseRoleMap(c.oidcRoleMap!);
  if (c.oidcScopes !== undefined && !c.oidcScopes.split(/\s+/).includes('openid')) throw new PfError(Errors.CONFIG, `invalid configuration: oidcScopes "${c.oidcScopes}" must include openid`);
}

/** The syslog URL must parse; the other syslog settings mean nothing without it. */
function checkSyslog(c: Config): void {
  if (c.syslogUrl !== undefined) {
    const target = parseSyslogUrl(c.syslogUrl);
    if (c.syslogCaFile !== undefined && target.transport !== 'tls') throw new PfError(Errors.CONFIG, 'invalid configuration: syslogCaFile needs a tls:// syslogUrl');
    return;
  }
  if (c.syslogCaFile !== undefined || c.syslogFacility !== undefined || c.syslogFormat !== undefined || c.syslogHostname !== undefined) {
    throw new PfError(Errors.CONFIG, 'invalid configuration: syslog settings need syslogUrl (PATCHFLEET_SYSLOG_URL)');
  }
}

/** Simulation settings go with `simulation` only, and simulation mode with nothing that needs real time. */
function checkSimulation(c: Config): void {
  if (c.simulation !== true) {
    if (c.simulationStart !== undefined || c.simulationTickSec !== undefined) {
      throw new PfError(Errors.CONFIG, 'invalid configuration: --sim-start and --sim-tick-sec need --simulation');
    }
    return;
  }
  if (c.simulationStart !== undefined && !Number.isFinite(Date.parse(c.simulationStart))) {
    throw new PfError(Errors.CONFIG, `invalid configuration: simulationStart "${c.simulationStart}" is not an ISO 8601 time`);
  }
  if (c.rolloutClock !== undefined) {
    throw new PfError(Errors.CONFIG, 'invalid configuration: --simulation and rolloutClock exclude each other (the simulated clock is the rollout clock)');
  }
  const feeds = c.feeds ?? {};
  if (feeds.usnOsvUrl || feeds.msrcCvrfUrl || feeds.kevUrl || feeds.epssUrl) {
    throw new PfError(Errors.CONFIG, 'invalid configuration: --simulation with feed URLs: downloads run on real time and a schedule of the wall clock; import the catalog with `patchfleet catalog import` instead');
  }
}
