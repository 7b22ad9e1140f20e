/**
 * HTTPS agent that pins the server certificate by the SHA-256 of its DER
 * encoding. The check runs on `secureConnect`, before the socket is handed to
 * the request, so not one byte of a request (an Authorization header, an
 * enrollment token) reaches a server whose certificate differs. Chain
 * validation is replaced by the pin: the controller's certificate is
 * self-signed by default, and the pin is the trust anchor.
 */
import { Agent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';
import { Errors, PfError } from '../errors';

/** Lower-case hex SHA-256 of a certificate's DER bytes. */
export function certFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Reads the peer certificate's fingerprint from a connected TLS socket. */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert ? certFingerprint(cert.raw) : undefined;
}

export class PinnedAgent extends Agent {
  readonly fingerprint: string;

  constructor(fingerprint: string, options: AgentOptions = {}) {
    super({ ...options, rejectUnauthorized: false });
    this.fingerprint = fingerprint.replace(/[:\s]/g, '').toLowerCase();
  }

  // Callback form of Agent#createConnection: the socket is handed over only once the pin holds.
  override createConnection(options: ConnectionOptions, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const socket = connect({ ...options, rejectUnauthorized: false });
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      socket.removeListener('error', onError);
      callback?.(err, socket);
    };
    const onError = (err: Error): void => finish(err);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      const seen = peerFingerprint(socket);
      if (!seen) {
        socket.destroy();
        finish(new PfError(Errors.TLS_NO_CERTIFICATE));
      } else if (seen !== this.fingerprint) {
        socket.destroy();
        finish(new PfError(Errors.TLS_PIN_MISMATCH, `server certificate fingerprint ${seen} does not match the pinned ${this.fingerprint}`, { expected: this.fingerprint, actual: seen }));
      } else {
        finish(null);
      }
    });
    // Returning nothing tells http.Agent to wait for the callback.
    return undefined as unknown as Duplex;
  }
}
