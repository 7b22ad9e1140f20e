/**
 * The Windows installer (deploy/windows): the MSI is built with wixl from the
 * signed agent executable that `pnpm build` made (agent/scripts/msi.ts) and read back with
 * msitools (msiinfo, msiextract) and osslsigncode; nothing here installs it,
 * since no Windows runs here. install-agent.ps1 cannot run either (no
 * PowerShell on Debian), so its msiexec command lines are rebuilt from the
 * script's own text and its checks are located in it; only its C#
 * certificate pin really runs (under mono).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '@patchfleet/shared/errors';
import { buildMsi, WINDOWS_DEPLOY_DIR } from '@patchfleet/agent/scripts/msi';
import { WINSW_SHA256 } from '@patchfleet/agent/scripts/msi/winsw';
import { signingMaterial, verifyExe } from '@patchfleet/agent/scripts/sea/signing';
import { writeIdentity } from '@patchfleet/agent/src/identity/state-dir';

const repo = join(WINDOWS_DEPLOY_DIR, '..', '..');
const UPGRADE_CODE = '{E50BFCCD-C843-41A4-A9F7-5DD165155BE2}';
const ENROLL_TARGET = 'enroll --if-not-enrolled --server "[SERVER]" --ca-fingerprint "[CA_FINGERPRINT]" --token "[ENROLL_TOKEN]" --state-dir "[CommonAppDataFolder]Patchfleet\\agent"';

let dir: string;
let msi: string;
let agentExe: string;
let testCa: string;

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** One table of the MSI as rows of columns (msiinfo export: 3 header lines, tab-separated). */
function table(name: string, file = msi): string[][] {
  const text = execFileSync('msiinfo', ['export', file, name], { encoding: 'utf8' });
  return text.split(/\r?\n/).slice(3).filter((l) => l !== '').map((l) => l.split('\t'));
}

function row(name: string, key: string): string[] {
  const found = table(name).find((r) => r[0] === key);
  if (!found) throw new Error(`no row ${key} in ${name}`);
  return found;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-msi-'));
  // The executable pnpm build made; not buildAgentExecutables(), which agent-executables.test.ts
  // may be running at the same time in the same dist directory.
  agentExe = join(repo, 'agent', 'dist', 'bin', 'patchfleet-agent-win-x64.exe');
  if (!existsSync(agentExe)) throw new Error(`${agentExe} is missing: run pnpm build first`);
  const signing = signingMaterial(join(repo, 'agent', '.cache'));
  if (!signing.testCa) throw new Error('these tests verify against the test CA: unset PATCHFLEET_SIGN_CERT/KEY');
  testCa = signing.testCa;
  msi = await buildMsi({ exe: agentExe, version: '0.1.0', outDir: join(dir, 'out') });
  execFileSync('msiextract', ['-C', join(dir, 'x'), msi], { stdio: 'ignore' });
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the MSI built by wixl', () => {
  it('is named for its version and architecture and reports its product', () => {
    expect(msi).toBe(join(dir, 'out', 'patchfleet-agent-0.1.0-x64.msi'));
    const info = execFileSync('msiinfo', ['suminfo', msi], { encoding: 'utf8' });
    expect(info).toMatch(/^Template: x64;1033$/m);
    expect(row('Property', 'ProductVersion')[1]).toBe('0.1.0');
    expect(row('Property', 'ProductName')[1]).toBe('Patchfleet agent');
    expect(row('Property', 'ALLUSERS')[1]).toBe('1');
  });

  it('installs the agent, the wrapper, its .NET config, its XML and the licence notices into ProgramFiles64Folder\\Patchfleet', () => {
    const files = table('File').map((r) => [r[0], r[1], r[2]]);
    expect(files.sort()).toEqual(
      [
        ['AgentExe', 'AgentExe', 'patchfleet-agent.exe'],
        ['ServiceExe', 'Service', 'patchfleet-agent-service.exe'],
        ['ServiceExeConfig', 'Service', 'patchfleet-agent-service.exe.config'],
        ['ServiceXml', 'Service', 'patchfleet-agent-service.xml'],
        ['Notices', 'Service', 'THIRD-PARTY-NOTICES.txt'],
      ].sort(),
    );
    const dirs = table('Directory');
    expect(dirs.find((r) => r[0] === 'INSTALLDIR')?.slice(1)).toEqual(['ProgramFiles64Folder', 'Patchfleet']);
    for (const r of table('Component')) expect(r[2]).toBe('INSTALLDIR');
    // 256 = msidbComponentAttributes64bit: not redirected to Program Files (x86).
    for (const r of table('Component')) expect(Number(r[3]) & 256).toBe(256);
  });

  it('carries the built executable byte for byte, WinSW as pinned, and the service XML of deploy/windows', () => {
    const x = join(dir, 'x', 'Patchfleet');
    expect(sha256(join(x, 'patchfleet-agent.exe'))).toBe(sha256(agentExe));
    expect(sha256(join(x, 'patchfleet-agent-service.exe'))).toBe(WINSW_SHA256);
    expect(readFileSync(join(x, 'patchfleet-agent-service.xml'), 'utf8')).toBe(readFileSync(join(WINDOWS_DEPLOY_DIR, 'patchfleet-agent-service.xml'), 'utf8'));
    // WinSW's MIT notice travels with it (node-windows does not ship WinSW's licence text).
    expect(readFileSync(join(x, 'THIRD-PARTY-NOTICES.txt'), 'utf8')).toMatch(/Copyright \(c\) 2010-2016 Kohsuke Kawaguchi[\s\S]*Copyright \(c\) 2012 Corey Butler/);
    // The executable inside still carries its own Authenticode signature.
    expect(verifyExe(join(x, 'patchfleet-agent.exe'), testCa)).toMatch(/Signature verification: ok/);
  });

  it('registers the wrapper as the PatchfleetAgent service: own process, automatic start, LocalSystem', () => {
    const [id, name, display, type, start, errorControl, , , account, password, args, component] = row('ServiceInstall', 'PatchfleetAgent');
    expect({ id, name, display, type, start, errorControl, account, password, args, component }).toEqual({
      id: 'PatchfleetAgent',
      name: 'PatchfleetAgent',
      display: 'Patchfleet agent',
      type: '16', // SERVICE_WIN32_OWN_PROCESS
      start: '2', // SERVICE_AUTO_START
      errorControl: '1', // SERVICE_ERROR_NORMAL
      account: 'LocalSystem',
      password: '',
      args: '',
      component: 'Service', // the component whose key path is patchfleet-agent-service.exe
    });
    expect(row('Component', 'Service')[5]).toBe('ServiceExe');
  });

  it('starts the service on install, stops it on install and uninstall, deletes it on uninstall, and waits', () => {
    const [, name, event, , wait, component] = row('ServiceControl', 'PatchfleetAgent');
    expect({ name, wait, component }).toEqual({ name: 'PatchfleetAgent', wait: '1', component: 'Service' });
    const e = Number(event);
    const bits = { startOnInstall: 0x1, stopOnInstall: 0x2, deleteOnInstall: 0x8, startOnUninstall: 0x10, stopOnUninstall: 0x20, deleteOnUninstall: 0x80 };
    const on = Object.entries(bits).filter(([, b]) => (e & b) !== 0).map(([k]) => k);
    expect(on).toEqual(['startOnInstall', 'stopOnInstall', 'stopOnUninstall', 'deleteOnUninstall']);
  });

  it('enrolls with the exact command line, deferred, as SYSTEM, with its target hidden from the log', () => {
    const [, type, source, target] = row('CustomAction', 'Enroll');
    expect(source).toBe('AgentExe');
    expect(target).toBe(ENROLL_TARGET);
    const t = Number(type);
    expect(t & 0x3f).toBe(18); // an executable installed by this package (File table key)
    expect(t & 0x400).toBe(0x400); // msidbCustomActionTypeInScript: deferred
    expect(t & 0x800).toBe(0x800); // msidbCustomActionTypeNoImpersonate: LocalSystem
    expect(t & 0x2000).toBe(0x2000); // msidbCustomActionTypeHideTarget: the token is not logged
    expect(t & 0x40).toBe(0); // Return="check": a failed enrollment fails the install
  });

  it('runs the enrollment after the files and service are installed and before the service starts, only when installing with a token', () => {
    const seq = new Map(table('InstallExecuteSequence').map((r) => [r[0], { cond: r[1], n: Number(r[2]) }]));
    const n = (a: string) => seq.get(a)?.n ?? Number.NaN;
    expect(n('InstallFiles')).toBeLessThan(n('Enroll'));
    expect(n('InstallServices')).toBeLessThan(n('Enroll'));
    expect(n('Enroll')).toBeLessThan(n('StartServices'));
    expect(n('Enroll')).toBeLessThan(n('InstallFinalize'));
    expect(n('InstallInitialize')).toBeLessThan(n('Enroll'));
    expect(seq.get('Enroll')?.cond).toBe('NOT REMOVE~="ALL" AND ENROLL_TOKEN');
    // Major upgrade: the old product goes first, whole (its service stopped and deleted), before the new one installs.
    expect(n('RemoveExistingProducts')).toBeGreaterThan(n('InstallValidate'));
    expect(n('RemoveExistingProducts')).toBeLessThan(n('InstallInitialize'));
  });

  it('locks the state directory (the private key) to SYSTEM and Administrators before enrolling', () => {
    const seq = new Map(table('InstallExecuteSequence').map((r) => [r[0], { cond: r[1], n: Number(r[2]) }]));
    const [, type, source, target] = row('CustomAction', 'SecureStateDir');
    expect(source).toBe('CmdExe');
    expect(target).toBe('/d /c mkdir "[CommonAppDataFolder]Patchfleet\\agent" 2>nul & icacls.exe "[CommonAppDataFolder]Patchfleet" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F /Q');
    const t = Number(type);
    expect(t & 0x3f).toBe(50);
    expect(t & 0xc00).toBe(0xc00); // deferred, as SYSTEM
    expect(t & 0x40).toBe(0); // Return="check": no enrollment into a readable directory
    expect(seq.get('SecureStateDir')?.cond).toBe('NOT REMOVE~="ALL"');
    expect(seq.get('SecureStateDir')!.n).toBeGreaterThan(seq.get('InstallFiles')!.n);
    expect(seq.get('SecureStateDir')!.n).toBeLessThan(seq.get('Enroll')!.n);
  });

  it('keeps ProgramData on uninstall unless PURGE=1, and never on an upgrade', () => {
    const seq = new Map(table('InstallExecuteSequence').map((r) => [r[0], { cond: r[1], n: Number(r[2]) }]));
    const purgeCond = 'REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE';
    expect(seq.get('Purge')?.cond).toBe(purgeCond);
    expect(seq.get('SetCmdExe')?.cond).toBe('');
    expect(seq.get('SetCmdExe')!.n).toBeLessThan(seq.get('InstallInitialize')!.n);
    expect(seq.get('Purge')!.n).toBeGreaterThan(seq.get('RemoveFiles')!.n);
    expect(seq.get('Purge')!.n).toBeLessThan(seq.get('InstallFinalize')!.n);
    expect(row('CustomAction', 'SetCmdExe').slice(2, 4)).toEqual(['CmdExe', '[System64Folder]cmd.exe']);
    expect(Number(row('CustomAction', 'SetCmdExe')[1]) & 0x3f).toBe(51); // sets a property
    const [, type, source, target] = row('CustomAction', 'Purge');
    expect(source).toBe('CmdExe');
    expect(target).toBe('/d /c rmdir /s /q "[CommonAppDataFolder]Patchfleet"');
    expect(Number(type) & 0x3f).toBe(50); // an executable named by a property
    expect(Number(type) & 0xc00).toBe(0xc00); // deferred, no impersonation
    // No component removes anything under ProgramData: without PURGE the state stays.
    expect(table('RemoveFile')).toEqual([]);
    expect(table('Directory').some((r) => /CommonAppData/i.test(r.join(' ')))).toBe(false);
  });

  it('hides ENROLL_TOKEN and bakes no server, fingerprint or token into the Property table', () => {
    expect(row('Property', 'MsiHiddenProperties')[1]?.split(';')).toContain('ENROLL_TOKEN');
    const names = table('Property').map((r) => r[0]);
    for (const p of ['ENROLL_TOKEN', 'SERVER', 'CA_FINGERPRINT', 'PURGE']) expect(names).not.toContain(p);
    for (const t of execFileSync('msiinfo', ['tables', msi], { encoding: 'utf8' }).split('\n').filter((x) => x && !x.startsWith('_'))) {
      expect(table(t).flat().join('\n')).not.toMatch(/pfe_[A-Za-z0-9_-]{20,}/);
    }
  });

  it('refuses a first install without SERVER, CA_FINGERPRINT and ENROLL_TOKEN, and any downgrade', () => {
    const conditions = table('LaunchCondition').map((r) => r[0]);
    expect(conditions).toContain('Installed OR WIX_UPGRADE_DETECTED OR (SERVER AND CA_FINGERPRINT AND ENROLL_TOKEN)');
    expect(conditions).toContain('NOT WIX_DOWNGRADE_DETECTED');
  });

  it('upgrades earlier versions of the same UpgradeCode', () => {
    expect(row('Property', 'UpgradeCode')[1]).toBe(UPGRADE_CODE);
    const rows = table('Upgrade').map((r) => ({ code: r[0], min: r[1], max: r[2], attrs: Number(r[4]), property: r[6] }));
    const upgrade = rows.find((r) => r.property === 'WIX_UPGRADE_DETECTED');
    expect(upgrade).toMatchObject({ code: UPGRADE_CODE, min: '', max: '0.1.0' });
    expect(upgrade!.attrs & 0x200).toBe(0); // msidbUpgradeAttributesVersionMaxInclusive unset: the same version is not "upgraded"
    expect(rows.find((r) => r.property === 'WIX_DOWNGRADE_DETECTED')).toMatchObject({ code: UPGRADE_CODE, min: '0.1.0', max: '' });
    // A new ProductCode each build (Product Id="*"): a rebuild is a new product for MajorUpgrade.
    expect(row('Property', 'ProductCode')[1]).toMatch(/^\{[0-9A-F-]{36}\}$/);
  });

  it('is Authenticode-signed: osslsigncode verifies it against the test CA, and not once a table changes', () => {
    expect(verifyExe(msi, testCa)).toMatch(/Signature verification: ok/);
    const tampered = join(dir, 'tampered.msi');
    copyFileSync(msi, tampered);
    execFileSync('msibuild', [tampered, '-q', "UPDATE `Property` SET `Value` = 'Evil agent' WHERE `Property` = 'ProductName'"]);
    expect(row('Property', 'ProductName')[1]).toBe('Patchfleet agent');
    expect(table('Property', tampered).find((r) => r[0] === 'ProductName')?.[1]).toBe('Evil agent');
    expect(() => verifyExe(tampered, testCa)).toThrow();
  });

  it('refuses a version Windows Installer cannot compare, before building anything', async () => {
    for (const version of ['1.2', '1.2.3.4', '256.0.0', '1.0.65536', '1.0.0-rc1', '']) {
      await expect(buildMsi({ exe: agentExe, version, outDir: join(dir, 'bad') })).rejects.toMatchObject({ code: Errors.USAGE.code });
    }
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('has a CLI that says what is wrong with its arguments', () => {
    const cli = (...args: string[]) => spawnSync('pnpm', ['--silent', '--filter', '@patchfleet/agent', 'msi', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    const bad = cli('--', '--version', '1.2', '--out', join(dir, 'cli'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('error PF_ERR_USAGE: MSI version must be X.Y.Z');
    const unknown = cli('--bogus');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("error PF_ERR_USAGE: Unknown option '--bogus'; usage: msi [--exe FILE] [--version X.Y.Z] [--out DIR]");
    expect(existsSync(join(dir, 'cli'))).toBe(false);
  });
});

describe('the WinSW configuration', () => {
  const xml = readFileSync(join(WINDOWS_DEPLOY_DIR, 'patchfleet-agent-service.xml'), 'utf8');
  const el = (name: string) => [...xml.matchAll(new RegExp(`<${name}(\\s[^>]*)?>([^<]*)</${name}>`, 'g'))].map((m) => m[2]);

  it('runs the installed agent with the ProgramData state directory', () => {
    expect(el('id')).toEqual(['PatchfleetAgent']);
    expect(el('executable')).toEqual(['%BASE%\\patchfleet-agent.exe']);
    expect(el('arguments')).toEqual(['run --state-dir "%ProgramData%\\Patchfleet\\agent"']);
  });

  it('restarts the agent when it fails and rotates its logs under ProgramData', () => {
    expect([...xml.matchAll(/<onfailure action="(\w+)"/g)].map((m) => m[1])).toEqual(['restart', 'restart']);
    expect(xml).toMatch(/<log mode="roll-by-size">/);
    expect(el('logpath')).toEqual(['%ProgramData%\\Patchfleet\\logs']);
  });
});

describe('enroll --if-not-enrolled (the MSI enrollment action on a reinstall over kept state)', () => {
  const bundle = join(repo, 'agent', 'dist', 'patchfleet-agent.mjs');
  const fingerprint = 'ab'.repeat(32);
  const enroll = (stateDir: string, ...extra: string[]) =>
    spawnSync(process.execPath, [bundle, 'enroll', ...extra, '--server', 'wss://127.0.0.1:9', '--ca-fingerprint', fingerprint, '--token', `pfe_${'A'.repeat(43)}`, '--state-dir', stateDir], { encoding: 'utf8', timeout: 20_000 });

  it('exits 0 without contacting anyone when the state directory is enrolled', () => {
    const stateDir = join(dir, 'enrolled');
    writeIdentity(stateDir, { agentId: 'agent-kept', wsUrl: 'wss://old:8443/agent', serverUrl: 'https://old:8443', caFingerprint: fingerprint, commandKey: 'k', publicKey: 'p', secretKey: 's', enrolledAt: new Date(0).toISOString(), labels: {} });
    const before = readFileSync(join(stateDir, 'identity.json'), 'utf8');
    const r = enroll(stateDir, '--if-not-enrolled');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('already enrolled as agent-kept with https://old:8443; nothing to do\n');
    expect(readFileSync(join(stateDir, 'identity.json'), 'utf8')).toBe(before);
    // Without the flag the same call refuses, as before.
    const plain = enroll(stateDir);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/PF_ERR_USAGE: .* already holds an enrolled identity/);
  });

  it('still enrolls (and fails here: nothing listens) when the state directory is empty', () => {
    const stateDir = join(dir, 'empty');
    mkdirSync(stateDir);
    const r = enroll(stateDir, '--if-not-enrolled');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error PF_ERR_/);
    expect(existsSync(join(stateDir, 'identity.json'))).toBe(false);
  });

  it('refuses --if-not-enrolled with --force', () => {
    const r = enroll(join(dir, 'both'), '--if-not-enrolled', '--force');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PF_ERR_USAGE: --if-not-enrolled and --force contradict each other/);
  });
});

describe('install-agent.ps1 (checked as text: no PowerShell here)', () => {
  const ps = readFileSync(join(WINDOWS_DEPLOY_DIR, 'install-agent.ps1'), 'utf8');
  const body = (fn: string) => {
    const m = new RegExp(`^function ${fn}\\b[^\\n]*\\{\\n([\\s\\S]*?)^\\}`, 'm').exec(ps);
    if (!m?.[1]) throw new Error(`no function ${fn} in install-agent.ps1`);
    return m[1];
  };
  const group = (re: RegExp, text: string) => {
    const m = re.exec(text);
    if (!m?.[1]) throw new Error(`${re} does not match`);
    return m[1];
  };
  /**
   * Evaluates the script's `@(...)` list of msiexec arguments: 'single' quoted
   * strings as they are, "double" quoted ones with `" for " and $Name
   * replaced, then joined with spaces as Invoke-Msiexec does.
   */
  const commandLine = (list: string, vars: Record<string, string>) => {
    const items = [...list.matchAll(/'([^']*)'|"((?:[^"`]|`.)*)"|(\$\w+)/g)].map((m) => {
      if (m[1] !== undefined) return m[1];
      const raw = m[2] ?? m[3] ?? '';
      return raw.replace(/`"/g, '"').replace(/\$(\w+)/g, (_, v: string) => {
        const value = vars[v];
        if (value === undefined) throw new Error(`unbound $${v}`);
        return value;
      });
    });
    return items.join(' ');
  };

  it('builds exactly this msiexec install command line', () => {
    const list = group(/return @\(([^)]*)\)/, body('Get-MsiexecInstallArguments'));
    const token = `pfe_${'x'.repeat(43)}`;
    const line = commandLine(list, { Msi: 'C:\\Temp\\pf\\patchfleet-agent-0.1.0-x64.msi', Log: 'C:\\Temp\\pf.log', Server: 'wss://ctl:8443', CaFingerprint: 'ab'.repeat(32), Token: token });
    expect(line).toBe(`/i "C:\\Temp\\pf\\patchfleet-agent-0.1.0-x64.msi" /qn /norestart /l*v "C:\\Temp\\pf.log" SERVER="wss://ctl:8443" CA_FINGERPRINT="${'ab'.repeat(32)}" ENROLL_TOKEN="${token}"`);
    expect(body('Invoke-Msiexec')).toContain('-FilePath "$env:SystemRoot\\System32\\msiexec.exe" -ArgumentList ($Arguments -join \' \') -Wait -PassThru');
  });

  it('builds exactly this msiexec uninstall command line, PURGE=1 only with -Purge', () => {
    const fn = body('Get-MsiexecUninstallArguments');
    const list = group(/\$list = @\(([^)]*)\)/, fn);
    const vars = { ProductCode: '{11111111-2222-3333-4444-555555555555}', Log: 'C:\\Temp\\pf.log' };
    expect(commandLine(list, vars)).toBe('/x {11111111-2222-3333-4444-555555555555} /qn /norestart /l*v "C:\\Temp\\pf.log"');
    expect(fn).toContain("if ($Purge) { $list += 'PURGE=1' }");
    expect(ps).toContain('Invoke-Msiexec (Get-MsiexecUninstallArguments $productCode $LogPath $Purge.IsPresent)');
    // The product code comes from Windows Installer by the MSI's UpgradeCode.
    expect(ps).toContain(`$UpgradeCode = '${UPGRADE_CODE}'`);
    expect(body('Get-InstalledProductCode')).toContain('$installer.RelatedProducts($UpgradeCode)');
  });

  it('accepts msiexec exit codes 0 and 3010 only', () => {
    const fn = body('Invoke-Msiexec');
    expect(fn).toMatch(/if \(\$code -eq 3010\)/);
    expect(fn).toMatch(/elseif \(\$code -ne 0\) \{ Stop-Install 'PF_ERR_INSTALLER_FAILED'/);
  });

  it('downloads the MSI that msi.ts names from the controller\'s /downloads/ route', () => {
    expect(ps).toContain('$MsiUrl = "$controllerBase/downloads/patchfleet-agent-$Version-x64.msi"');
    expect(msi.endsWith('patchfleet-agent-0.1.0-x64.msi')).toBe(true);
    expect(ps).toContain("$controllerBase = $Server -replace '^wss://', 'https://'");
  });

  it('checks SHA-256 with Get-FileHash and the Authenticode signature, and stops on a mismatch before msiexec runs', () => {
    const main = ps.slice(ps.indexOf('\n$work = '));
    const at = (s: string) => {
      const i = main.indexOf(s);
      expect(i, s).toBeGreaterThan(-1);
      return i;
    };
    const download = at('Save-Msi $MsiUrl $msi $pin');
    const hash = at('$hash = (Get-FileHash -LiteralPath $msi -Algorithm SHA256).Hash');
    const hashCheck = at("if ($hash -ne $Sha256.ToUpperInvariant()) {\n    Stop-Install 'PF_ERR_INSTALLER_INTEGRITY'");
    const sig = at('$signature = Get-AuthenticodeSignature -LiteralPath $msi');
    const sigCheck = at("if ($signature.Status -ne 'Valid') {\n    Stop-Install 'PF_ERR_INSTALLER_INTEGRITY'");
    const install = at('Invoke-Msiexec (Get-MsiexecInstallArguments $msi $LogPath $Server $fingerprint $Token)');
    expect([download, hash, hashCheck, sig, sigCheck, install]).toEqual([...[download, hash, hashCheck, sig, sigCheck, install]].sort((a, b) => a - b));
    // Stop-Install ends the script: nothing after a failed check runs.
    expect(body('Stop-Install')).toMatch(/\n\s+exit 2\n/);
    expect(main.match(/Invoke-Msiexec/g)).toHaveLength(1);
  });

  it('validates its inputs so the quoted msiexec values cannot break out', () => {
    expect(ps).toContain("[ValidatePattern('^wss://[A-Za-z0-9.-]+(:[0-9]{1,5})?$')]\n  [string]$Server");
    expect(ps).toContain("[ValidatePattern('^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$')]\n  [string]$CaFingerprint");
    expect(ps).toContain("[ValidatePattern('^[0-9A-Fa-f]{64}$')]\n  [string]$Sha256");
    expect(ps).toContain("$Token -notmatch '^pfe_[A-Za-z0-9_-]{43}$'");
    expect(ps).toContain('[ValidatePattern(\'^[^"]+$\')]\n  [string]$LogPath');
  });

  it('never prints the token', () => {
    for (const line of ps.split('\n').filter((l) => /Write-(Output|Host|Verbose|Warning|Information)|Stop-Install '|WriteLine/.test(l))) {
      expect(line).not.toMatch(/\$Token\b|\$env:PATCHFLEET_ENROLL_TOKEN/);
    }
  });

  it('uses only codes of the error catalogue', () => {
    const codes = new Set(Object.values(Errors).map((e) => e.code));
    const used = [...new Set(ps.match(/PF_ERR_[A-Z_]+/g))];
    expect(used.length).toBeGreaterThan(3);
    for (const c of used) expect(codes.has(c as never), c).toBe(true);
  });

  it('stays within Windows PowerShell 5.1 syntax (no 7-only operators or parameters)', () => {
    expect(ps.startsWith('#Requires -Version 5.1\n')).toBe(true);
    const code = ps.replace(/<#[\s\S]*?#>/g, '').replace(/@'[\s\S]*?'@/g, '');
    expect(code).not.toMatch(/\?\?|\?\.|-SkipCertificateCheck|&&|\|\||\bclean\s*\{/);
  });
});

describe('the TLS pin of install-agent.ps1 (its C# compiled with mono mcs and run with mono: not .NET on Windows)', () => {
  const run = promisify(execFile);
  let server: Server;
  let url: string;
  let fingerprint: string;
  let pinExe: string;
  const body = 'MSI bytes\n';

  beforeAll(async () => {
    const work = join(dir, 'pin');
    mkdirSync(work);
    const ps = readFileSync(join(WINDOWS_DEPLOY_DIR, 'install-agent.ps1'), 'utf8');
    const m = /\n\$PinSource = @'\n([\s\S]*?)\n'@\n/.exec(ps);
    if (!m?.[1]) throw new Error('no $PinSource here-string in install-agent.ps1');
    // A harness doing what Save-Msi does: one HttpWebRequest with the callback from PatchfleetPin.For.
    const harness = `
public static class PinHarness {
  public static int Main(string[] args) {
    System.Net.ServicePointManager.SecurityProtocol |= System.Net.SecurityProtocolType.Tls12;
    var request = (System.Net.HttpWebRequest)System.Net.WebRequest.Create(args[0]);
    request.ServerCertificateValidationCallback = PatchfleetPin.For(args[1]);
    try {
      using (var response = request.GetResponse())
      using (var stream = response.GetResponseStream())
      using (var file = System.IO.File.Create(args[2])) { stream.CopyTo(file); }
      return 0;
    } catch (System.Net.WebException e) { System.Console.Error.WriteLine(e.Status); return 3; }
  }
}`;
    writeFileSync(join(work, 'pin.cs'), `${m[1]}\n${harness}`);
    pinExe = join(work, 'pin.exe');
    execFileSync('mcs', [`-out:${pinExe}`, join(work, 'pin.cs')], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const der = execFileSync('openssl', ['x509', '-in', join(work, 'cert.pem'), '-outform', 'der']);
    fingerprint = createHash('sha256').update(der).digest('hex');
    server = createServer({ key: readFileSync(join(work, 'key.pem')), cert: readFileSync(join(work, 'cert.pem')) }, (_req, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/downloads/patchfleet-agent-0.1.0-x64.msi`;
  }, 120_000);

  afterAll(() => server?.close());

  it('downloads from the controller whose certificate has the pinned SHA-256 (self-signed, in no trust store)', async () => {
    const out = join(dir, 'pin', 'good.msi');
    await run('mono', [pinExe, url, fingerprint, out], { timeout: 30_000 });
    expect(readFileSync(out, 'utf8')).toBe(body);
  });

  it('refuses a certificate with another fingerprint and writes nothing', async () => {
    const out = join(dir, 'pin', 'bad.msi');
    const other = `${fingerprint.slice(0, 63)}${fingerprint.endsWith('0') ? '1' : '0'}`;
    const err = await run('mono', [pinExe, url, other, out], { timeout: 30_000 }).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(3);
    expect(err?.stderr).toMatch(/TrustFailure/);
    expect(existsSync(out)).toBe(false);
  });
});
