import { describe, expect, it } from 'vitest';
import { parseKb } from './kb';

describe('parseKb', () => {
  it('accepts KB plus 6 to 8 digits', () => {
    expect(parseKb('KB5072033')).toEqual({ text: 'KB5072033', digits: '5072033', number: 5072033 });
    expect(parseKb('KB890830').number).toBe(890830);
    expect(parseKb('KB12345678').digits).toBe('12345678');
  });

  it.each([
    'kb5072033',
    '5072033',
    'KB12345',
    'KB123456789',
    ' KB5072033',
    'KB5072033 ',
    'KB5072033\n',
    'KB5072033;Restart-Computer',
    "KB5072033'",
    'KB５０７２０３３',
    '',
  ])('refuses %j with PF_ERR_BAD_INPUT', (kb) => {
    expect(() => parseKb(kb)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
  });
});
