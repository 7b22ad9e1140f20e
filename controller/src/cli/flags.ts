import { PfError, Errors } from '@patchfleet/shared/errors';

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * A flag's value when it is one of `allowed`, with that narrower type (so it
 * type-checks as the API's enum), else PF_ERR_VALIDATION naming the choices:
 * `--state must be active or lifted, got "x"`.
 */
export function oneOf<const T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new PfError(Errors.VALIDATION, `${flag} must be ${orList(allowed)}, got "${value}"`);
  return found;
}
