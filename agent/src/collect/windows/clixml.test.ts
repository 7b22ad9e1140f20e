import { describe, expect, it } from 'vitest';
import { decodeClixmlString, stderrText } from './clixml';

// What Windows PowerShell 5.1 prints on a redirected stderr when started with
// -EncodedCommand: a progress record from module loading, then the error.
const CLIXML_STDERR =
  '#< CLIXML\r\n' +
  '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
  '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>' +
  '<S S="Error">Get-Item : Cannot find path &apos;HKLM:\\SOFTWARE\\Microsoft\\Updates&apos; because it does not exist._x000D__x000A_</S>' +
  '<S S="Error">At line:3 char:1_x000D__x000A_</S>' +
  '<S S="Error">+ Get-Item -LiteralPath &apos;HKLM:\\SOFTWARE\\Microsoft\\Updates&apos; &lt;x&gt; &amp; _x000D__x000A_</S>' +
  '</Objs>';

describe('stderrText', () => {
  it('keeps the error lines of CLIXML and drops progress records', () => {
    expect(stderrText(CLIXML_STDERR)).toBe(
      [
        "Get-Item : Cannot find path 'HKLM:\\SOFTWARE\\Microsoft\\Updates' because it does not exist.",
        'At line:3 char:1',
        "+ Get-Item -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Updates' <x> &",
      ].join('\r\n'),
    );
  });

  it('returns plain stderr trimmed', () => {
    expect(stderrText('  The term x is not recognized\r\n')).toBe('The term x is not recognized');
  });

  it('keeps text printed outside the CLIXML block', () => {
    expect(stderrText('fatal: early\r\n#< CLIXML\r\n<Objs Version="1.1.0.1"><S S="Error">late_x000A_</S></Objs>')).toBe('late\nfatal: early');
  });
});

describe('decodeClixmlString', () => {
  it('decodes XML entities and _xHHHH_ escapes', () => {
    expect(decodeClixmlString('a&#x41;&#66;&quot;_x0009_b')).toBe('aAB"\tb');
  });
});
