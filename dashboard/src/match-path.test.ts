import { describe, expect, it } from 'vitest';
import { matchPath } from './match-path';

describe('matchPath', () => {
  it('matches literal segments and captures parameters, decoded', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/hosts', '/hosts/')).toEqual({});
    expect(matchPath('/hosts/:id', '/hosts/8dd4de7c')).toEqual({ id: '8dd4de7c' });
    expect(matchPath('/patches/:id', '/patches/USN-7604-1')).toEqual({ id: 'USN-7604-1' });
    expect(matchPath('/rings/:id', '/rings/a%20b')).toEqual({ id: 'a b' });
  });

  it('does not match other lengths, other words or broken escapes', () => {
    expect(matchPath('/hosts/:id', '/hosts')).toBeNull();
    expect(matchPath('/hosts/:id', '/hosts/a/b')).toBeNull();
    expect(matchPath('/hosts', '/patches')).toBeNull();
    expect(matchPath('/hosts/:id', '/hosts/%E0%A4%A')).toBeNull();
  });
});
