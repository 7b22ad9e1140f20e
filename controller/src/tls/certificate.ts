/**
 * The controller's TLS certificate: the one given with --tls-cert/--tls-key,
 * or a self-signed one made on first start in <data-dir>/tls. Agents pin the
 * SHA-256 of its DER encoding (the "CA fingerprint" in bootstrap.json).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { certFingerprint, writeFileAtomic } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import selfsigned from 'selfsigned';


export interface TlsMaterial {
  cert: string;
  key: string;
  /** lower-case hex SHA-256 of the certificate DER */
  fingerprint: string;
  selfSigned: boolean;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PfError(Errors.TLS, `cannot read TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

function fingerprintOf(certPem: string, where: string): string {
  try {
    return certFingerprint(new X509Certificate(certPem).raw);
  } catch (err) {
    throw new PfError(Errors.TLS, `TLS certificate ${where} is not a valid PEM certificate: ${(err as Error).message}`);
  }
}

/** Loads the configured certificate, or the self-signed one in the data directory (made if missing). */
export async function ensureTlsMaterial(opts: { dataDir: string; certFile?: string | undefined; keyFile?: string | undefined; now: number }): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    const cert = readPem(opts.certFile, 'certificate');
    return { cert, key: readPem(opts.keyFile, 'key'), fingerprint: fingerprintOf(cert, opts.certFile), selfSigned: false };
  }
  const dir = join(opts.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readPem(certPath, 'certificate');
    return { cert, key: readPem(keyPath, 'key'), fingerprint: fingerprintOf(cert, certPath), selfSigned: true };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = hostname();
  const generated = await selfsigned.generate([{ name: 'commonName', value: `patchfleet-controller ${name}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(opts.now - 60_000),
    notAfterDate: new Date(opts.now + 10 * 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: name },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileAtomic(keyPath, generated.private, 0o600);
  writeFileAtomic(certPath, generated.cert, 0o644);
  return { cert: generated.cert, key: generated.private, fingerprint: fingerprintOf(generated.cert, certPath), selfSigned: true };
}
