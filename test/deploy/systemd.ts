/** Reads a systemd unit's [Service] directives: name to values, in order (a directive may repeat). */
export function unitDirectives(text: string, section = 'Service'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1] ?? '';
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    (out[key] ??= []).push(line.slice(eq + 1).trim());
  }
  return out;
}
