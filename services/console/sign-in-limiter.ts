/** How many failed sign-ins a key may have within a window before it is refused for a while. */
export interface SignInLimit {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

const MINUTE = 60_000;
/** Per operator name: a person mistyping a few times is never stopped; a guesser gets five tries per quarter hour. */
export const OPERATOR_LIMIT: SignInLimit = { maxFailures: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };
/** Per client address: higher, since operators behind one NAT share it, and it stops one client spraying many names. */
export const CLIENT_LIMIT: SignInLimit = { maxFailures: 20, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };

/** Past this many tracked keys, stale ones are dropped on the next failure so a flood of names cannot grow memory unbounded. */
const PRUNE_ABOVE = 1000;

interface KeyState {
  failures: number[];
  lockedUntil: number;
}

/**
 * Failed sign-ins per key (an operator name, a client address), in the serving process's memory: a restart of
 * `lucid serve` forgets them, as it forgets the sessions. Refusing before the password is checked also spares the
 * host the scrypt a guess would cost.
 */
export class SignInLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly limit: SignInLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys tracked now: failures in their window, or a lock still running. */
  get size(): number {
    return this.keys.size;
  }

  /** Whole seconds until `key` may try again; 0 when it may now. */
  retryAfterSeconds(key: string): number {
    const s = this.keys.get(key);
    const left = s ? s.lockedUntil - this.now() : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    if (this.keys.size > PRUNE_ABOVE) this.prune(now);
    const s = this.keys.get(key) ?? { failures: [], lockedUntil: 0 };
    s.failures = s.failures.filter((at) => at > now - this.limit.windowMs);
    s.failures.push(now);
    if (s.failures.length >= this.limit.maxFailures) {
      s.lockedUntil = now + this.limit.lockMs;
      s.failures = [];
    }
    this.keys.set(key, s);
  }

  /** A right password forgets the key's failures. */
  forget(key: string): void {
    this.keys.delete(key);
  }

  private prune(now: number): void {
    for (const [key, s] of this.keys) {
      if (s.lockedUntil <= now && s.failures.every((at) => at <= now - this.limit.windowMs)) this.keys.delete(key);
    }
  }
}
