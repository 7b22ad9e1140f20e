/**
 * One stream to the syslog receiver: plain TCP or TLS (the receiver's
 * certificate checked against the system CAs, or the configured CA file,
 * and its name). A send resolves once every frame is handed to the kernel;
 * any error, close or timeout breaks the connection, and the forwarder
 * opens a new one after a backoff.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { SyslogTarget } from './target';

export class SyslogConnection {
  private socket: Socket | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly target: SyslogTarget,
    private readonly opts: { ca?: string | undefined; timeoutMs: number },
  ) {}

  /** Whether a connection is up and nothing has broken it. */
  get usable(): boolean {
    return this.socket !== undefined && this.failure === undefined && !this.socket.destroyed;
  }

  /** Connects (TCP, or TLS with the handshake done). */
  open(): Promise<void> {
    this.close();
    this.failure = undefined;
    const { host, port, transport } = this.target;
    return new Promise<void>((resolve, reject) => {
      const ready = transport === 'tls' ? 'secureConnect' : 'connect';
      const socket =
        transport === 'tls'
          ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(this.opts.ca ? { ca: this.opts.ca } : {}) })
          : netConnect({ host, port });
      this.socket = socket;
      socket.setTimeout(this.opts.timeoutMs);
      socket.setKeepAlive(true, 60_000);
      const fail = (err: Error) => {
        this.failure ??= err;
        socket.destroy();
        reject(err);
      };
      socket.once(ready, () => {
        socket.setTimeout(0);
        resolve();
      });
      socket.on('timeout', () => fail(new Error(`syslog receiver ${host}:${port} did not answer within ${this.opts.timeoutMs} ms`)));
      socket.on('error', fail);
      socket.on('close', () => {
        this.failure ??= new Error(`syslog connection to ${host}:${port} closed`);
      });
      // Receivers send nothing back; anything that comes is read and dropped so the socket never stalls.
      socket.on('data', () => undefined);
    });
  }

  /** Writes `frames` in order; resolves when the last is flushed to the kernel, rejects when the connection breaks or `timeoutMs` passes. */
  send(frames: readonly Buffer[]): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.usable) return Promise.reject(this.failure ?? new Error('syslog connection is not open'));
    return new Promise<void>((resolve, reject) => {
      // The socket's idle timer (armed by open's 'timeout' handler) guards the write: a receiver that stops reading breaks the connection.
      socket.setTimeout(this.opts.timeoutMs);
      const onClose = () => reject(this.failure ?? new Error('syslog connection closed'));
      socket.once('close', onClose);
      socket.write(Buffer.concat(frames as Buffer[]), (err) => {
        socket.setTimeout(0);
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
