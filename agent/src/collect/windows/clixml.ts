/**
 * Readable text of what powershell.exe printed on stderr.
 *
 * Windows PowerShell 5.1 started with `-EncodedCommand`, not interactive and
 * with stderr redirected assumes its caller is another PowerShell and writes
 * the error stream as CLIXML, even with `-OutputFormat Text` (PowerShell 7
 * stopped doing so when -OutputFormat is given):
 *
 *     #< CLIXML
 *     <Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
 *     <S S="Error">Get-Item : Cannot find path ..._x000D__x000A_</S>...</Objs>
 *
 * The error lines are the `<S S="Error">` strings: XML-escaped, with
 * characters outside XML's range (CR, LF) written as `_xHHHH_`. Progress
 * records (`<Obj S="progress">`) are dropped. Text that is not CLIXML is
 * returned trimmed.
 */
export function stderrText(stderr: string): string {
  if (!stderr.includes('#< CLIXML')) return stderr.trim();
  const lines = [...stderr.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((m) => decodeClixmlString(m[1]!));
  const outside = stderr.replace(/#< CLIXML\r?\n?/g, '').replace(/<Objs[\s\S]*?<\/Objs>/g, '').trim();
  return [lines.join('').trim(), outside].filter(Boolean).join('\n');
}

/** Decodes one CLIXML `<S>` string: XML entities, then PowerShell's `_xHHHH_` escapes. */
export function decodeClixmlString(s: string): string {
  return s
    .replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) => {
      if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
      return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!;
    })
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
