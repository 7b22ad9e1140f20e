import { describe, expect, it } from 'vitest';
import { isPfError } from '../errors';
import { parsePsJson, psArray, psBool, psInt, psProp, psString } from './ps-json';

function badInput(fn: () => unknown): { message: string; details: Record<string, unknown> | undefined } {
  try {
    fn();
  } catch (err) {
    if (isPfError(err) && err.code === 'PF_ERR_BAD_INPUT') return { message: err.message, details: err.details };
    throw err;
  }
  throw new Error('expected PF_ERR_BAD_INPUT');
}

describe('parsePsJson', () => {
  it('skips warning lines the console host printed before the JSON, in any language', () => {
    expect(parsePsJson('WARNING: Resulting JSON is truncated as serialization has exceeded the set depth of 2.\r\n[\r\n  1\r\n]\r\n', 'x')).toEqual([1]);
    expect(parsePsJson('WARNUNG: Der resultierende JSON-Code wurde abgeschnitten.\n{"a":1}', 'x')).toEqual({ a: 1 });
  });

  it('parses bare scalars', () => {
    expect(parsePsJson('null\r\n', 'x')).toBeNull();
    expect(parsePsJson('"\\/Date(0)\\/"', 'x')).toBe('/Date(0)/');
  });

  it('names the line and column of a syntax error in the whole input', () => {
    const e = badInput(() => parsePsJson('WARNING: x\r\n[\r\n    {\r\n        "HotFixID":  "KB1",\r\n    }\r\n]', 'hotfix JSON'));
    expect(e.message).toMatch(/^hotfix JSON: invalid JSON at line 5 column 5: /);
    expect(e.details).toMatchObject({ line: 5, column: 5 });
  });

  it('names the position of cut-off output', () => {
    expect(badInput(() => parsePsJson('[{"HotFixID":"KB1"', 'x')).message).toMatch(/^x: invalid JSON at line 1 column 19: /);
  });

  it('refuses empty output', () => {
    expect(badInput(() => parsePsJson(' \r\n', 'hotfix JSON')).message).toBe('hotfix JSON: output is empty, expected JSON');
  });
});

describe('psArray', () => {
  it('turns ConvertTo-Json shapes into the list they stand for', () => {
    expect(psArray([1, 2])).toEqual([1, 2]);
    expect(psArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(psArray(null)).toEqual([]);
    expect(psArray(undefined)).toEqual([]);
    expect(psArray({ value: [1, 2], Count: 2 })).toEqual([1, 2]);
    expect(psArray({ value: [1, 2], Count: 2, Other: 1 })).toEqual([{ value: [1, 2], Count: 2, Other: 1 }]);
  });
});

describe('value readers', () => {
  it('psProp matches names without case', () => {
    expect(psProp({ hotfixid: 'KB1' }, 'HotFixID')).toBe('KB1');
    expect(psProp({ HotFixID: 'KB1', hotfixid: 'KB2' }, 'HotFixID')).toBe('KB1');
    expect(psProp([1], 'length')).toBeUndefined();
    expect(psProp(null, 'a')).toBeUndefined();
  });

  it('psString, psInt and psBool accept what PowerShell writes for them', () => {
    expect(psString('a')).toBe('a');
    expect(psString(26100)).toBe('26100');
    expect(psString({ value: 'x', DateTime: 'y' })).toBe('x');
    expect(psString(null)).toBeUndefined();
    expect(psInt('26100')).toBe(26100);
    expect(psInt(-2145124318)).toBe(-2145124318);
    expect(psInt('1.5')).toBeUndefined();
    expect(psInt(1.5)).toBeUndefined();
    expect(psBool(true)).toBe(true);
    expect(psBool('False')).toBe(false);
    expect(psBool(1)).toBeUndefined();
  });
});
