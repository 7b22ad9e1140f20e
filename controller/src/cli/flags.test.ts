import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { oneOf } from './flags';

describe('oneOf', () => {
  it("gives back a flag's value when the API's enum holds it", () => {
    const state: 'active' | 'lifted' = oneOf('--state', 'lifted', ['active', 'lifted']);
    expect(state).toBe('lifted');
  });

  it('refuses anything else with PF_ERR_VALIDATION naming the choices', () => {
    expect(() => oneOf('--state', 'gone', ['active', 'lifted'])).toThrow('--state must be active or lifted, got "gone"');
    expect(() => oneOf('--kind', 'ping', ['http', 'tcp', 'command'])).toThrow('--kind must be http, tcp or command, got "ping"');
    let caught: unknown;
    try {
      oneOf('--role', 'root', ['admin', 'operator', 'helpdesk']);
    } catch (err) {
      caught = err;
    }
    expect(isPfError(caught) && caught.code).toBe('PF_ERR_VALIDATION');
  });
});
