import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULTS, loadConfig } from './config';
import { REPO_ROOT } from './local-home';

describe('loadConfig', () => {
  let dir: string;
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pf-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the defaults when nothing is set, and ignores unrelated environment', () => {
    const config = loadConfig({}, { HOME: '/root', PATH: '/bin' });
    // pnpm start's layout, wherever the command runs from (local-home.ts).
    expect(config).toEqual({ ...DEFAULTS, dataDir: join(REPO_ROOT, '.patchfleet', 'controller') });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('puts the data directory under PATCHFLEET_HOME as pnpm start does; PATCHFLEET_DATA_DIR and --data-dir win', () => {
    expect(loadConfig({}, { PATCHFLEET_HOME: '/srv/pf' }).dataDir).toBe('/srv/pf/controller');
    expect(loadConfig({}, { PATCHFLEET_HOME: 'rel-home' }).dataDir).toBe(resolve('rel-home', 'controller'));
    expect(loadConfig({}, { PATCHFLEET_HOME: '/srv/pf', PATCHFLEET_DATA_DIR: '/data/ctl' }).dataDir).toBe('/data/ctl');
    expect(loadConfig({ dataDir: '/flag/dir' }, { PATCHFLEET_HOME: '/srv/pf' }).dataDir).toBe('/flag/dir');
  });

  it('is frozen', () => {
    const config = loadConfig({}, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('resolves the data directory to an absolute path', () => {
    expect(loadConfig({ dataDir: 'rel/dir' }, {}).dataDir).toBe(resolve('rel/dir'));
  });

  it('layers defaults < file < environment < flags', () => {
    const configFile = file('layers.json', { port: 1001, host: '10.0.0.1', heartbeatSec: 11, logLevel: 'warn', agentFramesPerSec: 7 });
    const env = { PATCHFLEET_PORT: '2002', PATCHFLEET_HEARTBEAT_SEC: '22' };

    const fromFile = loadConfig({ configFile } as never, {});
    expect(fromFile).toMatchObject({ port: 1001, host: '10.0.0.1', heartbeatSec: 11, logLevel: 'warn', agentFramesPerSec: 7, maxFrameBytes: DEFAULTS.maxFrameBytes });

    const fromEnv = loadConfig({ configFile } as never, env);
    expect(fromEnv).toMatchObject({ port: 2002, heartbeatSec: 22, host: '10.0.0.1', logLevel: 'warn' });

    const fromFlags = loadConfig({ configFile, port: 3003, logLevel: 'debug' } as never, env);
    expect(fromFlags).toMatchObject({ port: 3003, heartbeatSec: 22, host: '10.0.0.1', logLevel: 'debug', agentFramesPerSec: 7 });
  });

  it('takes the connection and rate limits from file < environment < flags, and refuses nonsense', () => {
    const configFile = file('limits.json', { connectIdleSec: 7, maxConnectionsPerAddress: 9, enrollRatePerMin: 11 });
    const env = { PATCHFLEET_MAX_CONNECTIONS_PER_ADDRESS: '12', PATCHFLEET_AUTH_FAILURES_PER_MIN: '13', PATCHFLEET_MAX_CONNECTIONS: '5000', PATCHFLEET_REFUSAL_AUDIT_SEC: '2' };
    expect(loadConfig({ configFile, enrollRatePerMin: 14 } as never, env)).toMatchObject({ connectIdleSec: 7, maxConnectionsPerAddress: 12, authFailuresPerMin: 13, enrollRatePerMin: 14, maxConnections: 5000, refusalAuditSec: 2, apiRatePerMin: DEFAULTS.apiRatePerMin });
    expect(() => loadConfig({}, { PATCHFLEET_CONNECT_IDLE_SEC: '0' })).toThrow(/connectIdleSec/);
    expect(() => loadConfig({}, { PATCHFLEET_MAX_UNAUTH_CONNECTIONS: 'many' })).toThrow(/maxUnauthConnections/);
  });

  it('finds the config file through PATCHFLEET_CONFIG, and a flag overrides it', () => {
    const a = file('a.json', { port: 1111 });
    const b = file('b.json', { port: 2222 });
    expect(loadConfig({}, { PATCHFLEET_CONFIG: a }).port).toBe(1111);
    expect(loadConfig({ configFile: b } as never, { PATCHFLEET_CONFIG: a }).port).toBe(2222);
  });

  it('reads every documented environment variable', () => {
    const env = {
      PATCHFLEET_DATA_DIR: join(dir, 'data'),
      PATCHFLEET_HOST: '127.0.0.1',
      PATCHFLEET_PORT: '9443',
      DATABASE_URL: 'postgres://pf@db:5432/pf',
      PATCHFLEET_TLS_CERT: '/etc/pf/cert.pem',
      PATCHFLEET_TLS_KEY: '/etc/pf/key.pem',
      PATCHFLEET_PUBLIC_URL: 'https://pf.example.test',
      PATCHFLEET_HEARTBEAT_SEC: '15',
      PATCHFLEET_LOG_LEVEL: 'error',
    };
    expect(loadConfig({}, env)).toEqual({
      ...DEFAULTS,
      dataDir: join(dir, 'data'),
      host: '127.0.0.1',
      port: 9443,
      databaseUrl: 'postgres://pf@db:5432/pf',
      tlsCert: '/etc/pf/cert.pem',
      tlsKey: '/etc/pf/key.pem',
      publicUrl: 'https://pf.example.test',
      heartbeatSec: 15,
      logLevel: 'error',
    });
  });

  it('takes the embedded page cache in MiB from PATCHFLEET_EMBEDDED_CACHE_MB, within 16..2048', () => {
    expect(loadConfig({}, {}).embeddedCacheMb).toBeUndefined();
    expect(loadConfig({}, { PATCHFLEET_EMBEDDED_CACHE_MB: '512' }).embeddedCacheMb).toBe(512);
    expect(() => loadConfig({}, { PATCHFLEET_EMBEDDED_CACHE_MB: '8' })).toThrow(/embeddedCacheMb/);
    expect(() => loadConfig({}, { PATCHFLEET_EMBEDDED_CACHE_MB: '4096' })).toThrow(/embeddedCacheMb/);
    expect(() => loadConfig({}, { PATCHFLEET_EMBEDDED_CACHE_MB: '1.5' })).toThrow(/embeddedCacheMb/);
  });

  it('ignores empty environment variables and undefined flags', () => {
    const config = loadConfig({ port: undefined, host: undefined }, { PATCHFLEET_PORT: '', PATCHFLEET_HOST: '' });
    expect(config.port).toBe(DEFAULTS.port);
    expect(config.host).toBe(DEFAULTS.host);
  });

  it('turns numeric flags given as strings into numbers', () => {
    expect(loadConfig({ port: '8080', maxFrameBytes: '65536' }, {})).toMatchObject({ port: 8080, maxFrameBytes: 65_536 });
  });

  it.each([
    [{ port: 70_000 }, {}, 'port'],
    [{}, { PATCHFLEET_PORT: 'eighty' }, 'port'],
    [{ heartbeatSec: 0 }, {}, 'heartbeatSec'],
    [{ maxFrameBytes: 100 }, {}, 'maxFrameBytes'],
    [{ agentFramesPerSec: 1.5 }, {}, 'agentFramesPerSec'],
    [{}, { PATCHFLEET_LOG_LEVEL: 'loud' }, 'logLevel'],
    [{}, { DATABASE_URL: 'mysql://db/pf' }, 'databaseUrl'],
    [{}, { PATCHFLEET_PUBLIC_URL: 'ftp://pf' }, 'publicUrl'],
    [{ host: '' }, {}, 'host'],
    [{ insecure: 'yes' }, {}, 'insecure'],
  ] as [Record<string, unknown>, Record<string, string>, string][])('refuses %j %j with PF_ERR_CONFIG naming %s', (flags, env, field) => {
    expect(() => loadConfig(flags, env)).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringContaining(field) }));
  });

  it('names every invalid field at once', () => {
    expect(() => loadConfig({ port: -1, heartbeatSec: 99_999 }, {})).toThrow(/port.*heartbeatSec|heartbeatSec.*port/);
  });

  it('refuses an unknown key in the config file, naming it', () => {
    const configFile = file('typo.json', { prot: 8443 });
    expect(() => loadConfig({ configFile } as never, {})).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringContaining('prot') }));
  });

  it('refuses a config file that is missing or not JSON', () => {
    expect(() => loadConfig({ configFile: join(dir, 'nope.json') } as never, {})).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringMatching(/cannot read config file/) }));
    const bad = file('bad.json', '{ port: 1 ');
    expect(() => loadConfig({ configFile: bad } as never, {})).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringMatching(/not valid JSON/) }));
  });

  it('refuses a TLS certificate without its key, and the reverse', () => {
    expect(() => loadConfig({ tlsCert: '/c.pem' }, {})).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG', message: expect.stringMatching(/tls-cert and --tls-key/) }));
    expect(() => loadConfig({}, { PATCHFLEET_TLS_KEY: '/k.pem' })).toThrow(expect.objectContaining({ code: 'PF_ERR_CONFIG' }));
    expect(loadConfig({ tlsCert: '/c.pem', tlsKey: '/k.pem' }, {})).toMatchObject({ tlsCert: '/c.pem', tlsKey: '/k.pem' });
  });
  it('simulation mode: from the environment (1/true/0/false) or flags, with its start and tick, and refused with what needs real time', () => {
    expect(loadConfig({}, {}).simulation).toBeUndefined();
    expect(loadConfig({}, { PATCHFLEET_SIMULATION: '1', PATCHFLEET_SIM_START: '2026-03-02T00:00:00Z', PATCHFLEET_SIM_TICK_SEC: '600' })).toMatchObject({ simulation: true, simulationStart: '2026-03-02T00:00:00Z', simulationTickSec: 600 });
    expect(loadConfig({}, { PATCHFLEET_SIMULATION: 'true' }).simulation).toBe(true);
    expect(loadConfig({}, { PATCHFLEET_SIMULATION: '0' }).simulation).toBe(false);
    expect(loadConfig({ simulation: true } as never, {}).simulation).toBe(true);
    expect(() => loadConfig({}, { PATCHFLEET_SIMULATION: 'yes' })).toThrow(/simulation must be boolean/);
    expect(() => loadConfig({}, { PATCHFLEET_SIM_START: '2026-03-02T00:00:00Z' })).toThrow(/need --simulation/);
    expect(() => loadConfig({}, { PATCHFLEET_SIMULATION: '0', PATCHFLEET_SIM_TICK_SEC: '60' })).toThrow(/need --simulation/);
    expect(() => loadConfig({}, { PATCHFLEET_SIMULATION: '1', PATCHFLEET_SIM_START: 'monday' })).toThrow(/not an ISO 8601 time/);
    expect(() => loadConfig({}, { PATCHFLEET_SIMULATION: '1', PATCHFLEET_SIM_TICK_SEC: '0' })).toThrow(/simulationTickSec/);
    expect(() => loadConfig({}, { PATCHFLEET_SIMULATION: '1', PATCHFLEET_ROLLOUT_CLOCK: '2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,60' })).toThrow(/rolloutClock exclude each other/);
    const feeds = file('sim-feeds.json', { simulation: true, feeds: { kevUrl: 'https://example.test/kev.json' } });
    expect(() => loadConfig({ configFile: feeds } as never, {})).toThrow(/--simulation with feed URLs/);
    // A schedule without URLs downloads nothing: allowed.
    expect(loadConfig({ configFile: file('sim-schedule.json', { simulation: true, feeds: { schedule: '0 4 * * *' } }) } as never, {}).simulation).toBe(true);
  });

  it('single sign-on: from the environment, with the issuer, client and role map together', () => {
    const env = {
      PATCHFLEET_OIDC_ISSUER: 'https://idp.example.test/realms/it',
      PATCHFLEET_OIDC_CLIENT_ID: 'patchfleet',
      PATCHFLEET_OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
      PATCHFLEET_OIDC_ROLE_MAP: 'pf-admins=admin,pf-ops=operator,pf-helpdesk=helpdesk',
      PATCHFLEET_OIDC_ROLE_CLAIM: 'patchfleet_role',
      PATCHFLEET_OIDC_CREATE_USERS: 'false',
      PATCHFLEET_OIDC_SCOPES: 'openid profile groups',
      PATCHFLEET_OIDC_REDIRECT_URL: 'https://pf.example.test/api/v1/auth/oidc/callback',
      PATCHFLEET_OIDC_CA_FILE: '/etc/pf/idp-ca.pem',
      PATCHFLEET_OIDC_NAME: 'Example SSO',
      PATCHFLEET_OIDC_NAME_CLAIM: 'email',
    };
    expect(loadConfig({}, env)).toMatchObject({
      oidcIssuer: 'https://idp.example.test/realms/it',
      oidcClientId: 'patchfleet',
      oidcRoleClaim: 'patchfleet_role',
      oidcCreateUsers: false,
      oidcScopes: 'openid profile groups',
      oidcCaFile: '/etc/pf/idp-ca.pem',
      oidcName: 'Example SSO',
      oidcNameClaim: 'email',
    });
    const { PATCHFLEET_OIDC_ROLE_MAP: _map, ...withoutMap } = env;
    expect(() => loadConfig({}, withoutMap)).toThrow(/also needs oidcRoleMap/);
    expect(() => loadConfig({}, { ...env, PATCHFLEET_OIDC_ROLE_MAP: 'pf-admins=root' })).toThrow(/not a role/);
    expect(() => loadConfig({}, { ...env, PATCHFLEET_OIDC_SCOPES: 'profile email' })).toThrow(/must include openid/);
    expect(() => loadConfig({}, { ...env, PATCHFLEET_OIDC_CLIENT_SECRET: 'short' })).toThrow(/oidcClientSecret/);
    expect(() => loadConfig({}, { PATCHFLEET_OIDC_CLIENT_ID: 'patchfleet' })).toThrow(/oidcClientId need oidcIssuer/);
    expect(() => loadConfig({}, { ...env, PATCHFLEET_OIDC_ISSUER: 'http://idp.example.test' })).toThrow(/oidcIssuer/);
    // A config file may give the role map as an object (claim values with commas, such as LDAP DNs).
    const configFile = file('oidc.json', { oidcIssuer: 'https://idp.example.test', oidcClientId: 'pf', oidcClientSecret: 'a-client-secret-of-some-length', oidcRoleMap: { 'cn=admins,ou=groups': 'admin' } });
    expect(loadConfig({ configFile } as never, {}).oidcRoleMap).toEqual({ 'cn=admins,ou=groups': 'admin' });
  });

  it('syslog export and webhooks: URL, CA files, facility, format and hostname from the environment; nonsense and orphans refused', () => {
    const env = { PATCHFLEET_SYSLOG_URL: 'tls://siem.example:6514', PATCHFLEET_SYSLOG_CA: '/etc/pf/siem-ca.pem', PATCHFLEET_SYSLOG_FACILITY: 'local3', PATCHFLEET_SYSLOG_FORMAT: 'kv', PATCHFLEET_SYSLOG_HOSTNAME: 'pf-ctl-1', PATCHFLEET_WEBHOOK_CA: '/etc/pf/hooks-ca.pem' };
    expect(loadConfig({}, env)).toMatchObject({ syslogUrl: 'tls://siem.example:6514', syslogCaFile: '/etc/pf/siem-ca.pem', syslogFacility: 'local3', syslogFormat: 'kv', syslogHostname: 'pf-ctl-1', webhookCaFile: '/etc/pf/hooks-ca.pem' });
    expect(loadConfig({}, {}).syslogUrl).toBeUndefined();
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_URL: 'udp://siem.example:514' })).toThrow(/syslogUrl/);
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_URL: 'tcp://' })).toThrow(/PF_ERR_CONFIG|syslogUrl/);
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_URL: 'tcp://siem.example:514', PATCHFLEET_SYSLOG_CA: '/ca.pem' })).toThrow(/syslogCaFile needs a tls/);
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_URL: 'tcp://siem.example:514', PATCHFLEET_SYSLOG_FACILITY: 'local9' })).toThrow(/syslogFacility/);
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_URL: 'tcp://siem.example:514', PATCHFLEET_SYSLOG_FORMAT: 'xml' })).toThrow(/syslogFormat/);
    expect(() => loadConfig({}, { PATCHFLEET_SYSLOG_FORMAT: 'kv' })).toThrow(/syslog settings need syslogUrl/);
  });
});
