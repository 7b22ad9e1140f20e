/**
 * Authenticode signing of the Windows executable with osslsigncode.
 *
 * A real certificate comes from the environment: PATCHFLEET_SIGN_CERT (PEM
 * certificate chain), PATCHFLEET_SIGN_KEY (PEM private key), optionally
 * PATCHFLEET_SIGN_KEY_PASS (its passphrase) and PATCHFLEET_SIGN_TIMESTAMP_URL
 * (an RFC 3161 time-stamping server). Without them the build makes (once, in
 * the cache) a test CA and a code-signing certificate it issued, so CI signs
 * and verifies the same way a release would; such an executable is trusted
 * by no Windows machine.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningMaterial {
  cert: string;
  key: string;
  pass?: string;
  timestampUrl?: string;
  /** The test CA that issued `cert` (test certificates only): what `verify` trusts. */
  testCa?: string;
  /** SHA-256 of the signing certificate (part of the build stamp: a new certificate re-signs). */
  fingerprint: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The test CA and its code-signing certificate in `dir`, made when missing or expired. */
export function testSigningMaterial(dir: string): SigningMaterial {
  const ca = join(dir, 'test-ca.pem');
  const cert = join(dir, 'test-codesign.pem');
  const key = join(dir, 'test-codesign.key');
  const valid = existsSync(ca) && existsSync(cert) && existsSync(key) && Date.parse(new X509Certificate(readFileSync(cert)).validTo) > Date.now() + 86_400_000;
  if (!valid) {
    mkdirSync(dir, { recursive: true });
    const caKey = join(dir, 'test-ca.key');
    const csr = join(dir, 'test-codesign.csr');
    const ext = join(dir, 'codesign.ext');
    openssl(['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-sha256', '-days', '3650', '-keyout', caKey, '-out', ca, '-subj', '/O=Patchfleet TEST/CN=Patchfleet test code-signing CA (not trusted)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['req', '-new', '-newkey', 'rsa:3072', '-nodes', '-sha256', '-keyout', key, '-out', csr, '-subj', '/O=Patchfleet TEST/CN=Patchfleet agent (test signature)']);
    writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    openssl(['x509', '-req', '-sha256', '-days', '825', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-extfile', ext]);
    rmSync(csr);
  }
  return { cert, key, testCa: ca, fingerprint: fingerprintOf(cert) };
}

function fingerprintOf(certFile: string): string {
  return createHash('sha256').update(readFileSync(certFile)).digest('hex');
}

/** The configured certificate (PATCHFLEET_SIGN_CERT/KEY), else the test one in `cacheDir`. */
export function signingMaterial(cacheDir: string, env: NodeJS.ProcessEnv = process.env): SigningMaterial {
  const cert = env.PATCHFLEET_SIGN_CERT;
  const key = env.PATCHFLEET_SIGN_KEY;
  if (!cert && !key) return testSigningMaterial(join(cacheDir, 'test-signing'));
  if (!cert || !key) throw new Error('set both PATCHFLEET_SIGN_CERT and PATCHFLEET_SIGN_KEY (PEM files), or neither for a test signature');
  return {
    cert,
    key,
    ...(env.PATCHFLEET_SIGN_KEY_PASS ? { pass: env.PATCHFLEET_SIGN_KEY_PASS } : {}),
    ...(env.PATCHFLEET_SIGN_TIMESTAMP_URL ? { timestampUrl: env.PATCHFLEET_SIGN_TIMESTAMP_URL } : {}),
    fingerprint: fingerprintOf(cert),
  };
}

/** Signs `input` (an unsigned PE) into `output` with SHA-256 Authenticode. */
export function signExe(input: string, output: string, m: SigningMaterial): void {
  const tmp = `${output}.signing`;
  rmSync(tmp, { force: true });
  const args = ['sign', '-certs', m.cert, '-key', m.key, '-h', 'sha256', '-n', 'Patchfleet agent', '-i', 'https://github.com/patchfleet/patchfleet'];
  if (m.pass) args.push('-pass', m.pass);
  if (m.timestampUrl) args.push('-ts', m.timestampUrl);
  execFileSync('osslsigncode', [...args, '-in', input, '-out', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(tmp, output);
}

/** `osslsigncode verify` of `exe` against `caFile`; returns its output, throws when the signature does not verify. */
export function verifyExe(exe: string, caFile: string): string {
  return execFileSync('osslsigncode', ['verify', '-CAfile', caFile, '-in', exe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
