/** Where audit entries go: `tcp://host:port` (RFC 6587) or `tls://host:port` (RFC 5425, default port 6514). */
import { PfError, Errors } from '@patchfleet/shared/errors';

export interface SyslogTarget {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
}

/** Parses PATCHFLEET_SYSLOG_URL; PF_ERR_CONFIG naming what is wrong. */
export function parseSyslogUrl(text: string): SyslogTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // The parser's message adds nothing to ours.
    throw new PfError(Errors.CONFIG, `invalid configuration: syslogUrl ${JSON.stringify(text)} is not a URL (tcp://host:port or tls://host:port)`);
  }
  const transport = u.protocol.replace(/:$/, '');
  if (transport !== 'tcp' && transport !== 'tls') throw new PfError(Errors.CONFIG, `invalid configuration: syslogUrl scheme ${transport} is not tcp or tls`);
  if (u.hostname === '') throw new PfError(Errors.CONFIG, 'invalid configuration: syslogUrl has no host');
  const port = u.port !== '' ? Number(u.port) : transport === 'tls' ? 6514 : 514;
  // An IPv6 literal is bracketed in a URL, not for the socket.
  return { transport, host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}
