/**
 * Exponential backoff with full jitter (a random delay between 0 and the
 * exponential cap), so a fleet that lost its controller does not come back
 * in one synchronized wave.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.random() * cap);
  }

  reset(): void {
    this.attempt = 0;
  }
}
