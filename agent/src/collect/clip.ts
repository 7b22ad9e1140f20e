/** Cuts `value` to at most `max` characters; wire strings have length limits. */
export function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}
