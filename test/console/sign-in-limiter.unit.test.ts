import { CLIENT_LIMIT, OPERATOR_LIMIT, SignInLimiter } from '../../services/console/sign-in-limiter';

const MINUTE = 60_000;

function limiter(limit = OPERATOR_LIMIT): { l: SignInLimiter; advance: (ms: number) => void } {
  let now = Date.UTC(2026, 11, 7);
  return { l: new SignInLimiter(limit, () => now), advance: (ms) => (now += ms) };
}

describe('the sign-in limiter', () => {
  it('lets four failures pass, refuses after the fifth for fifteen minutes, then lets the key try again', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 4; i++) l.fail('ada');
    expect(l.retryAfterSeconds('ada')).toBe(0);
    l.fail('ada');
    expect(l.retryAfterSeconds('ada')).toBe(15 * 60);
    advance(10 * MINUTE + 500);
    expect(l.retryAfterSeconds('ada')).toBe(5 * 60);
    advance(5 * MINUTE);
    expect(l.retryAfterSeconds('ada')).toBe(0);
    // The lock used the failures up: one more is the first of a new count.
    l.fail('ada');
    expect(l.retryAfterSeconds('ada')).toBe(0);
  });

  it('counts only failures within the window: slow mistyping is never refused', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 20; i++) {
      l.fail('ada');
      advance(4 * MINUTE);
    }
    expect(l.retryAfterSeconds('ada')).toBe(0);
  });

  it('keeps keys apart, and forgetting a key clears its failures', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) l.fail('ada');
    expect(l.retryAfterSeconds('bob')).toBe(0);
    for (let i = 0; i < 4; i++) l.fail('bob');
    l.forget('bob');
    l.fail('bob');
    expect(l.retryAfterSeconds('bob')).toBe(0);
    expect(l.retryAfterSeconds('ada')).toBeGreaterThan(0);
  });

  it('allows a client address more failures than a name, for operators behind one NAT', () => {
    const { l } = limiter(CLIENT_LIMIT);
    for (let i = 0; i < 19; i++) l.fail('10.0.0.1');
    expect(l.retryAfterSeconds('10.0.0.1')).toBe(0);
    l.fail('10.0.0.1');
    expect(l.retryAfterSeconds('10.0.0.1')).toBe(15 * 60);
  });

  it('drops stale keys once it tracks many, and keeps a key whose lock still runs', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 1001; i++) l.fail(`guess-${i}`);
    advance(10 * MINUTE);
    for (let i = 0; i < 5; i++) l.fail('locked');
    expect(l.size).toBe(1002);
    advance(5 * MINUTE + 1);
    l.fail('trigger');
    expect(l.size).toBe(2);
    expect(l.retryAfterSeconds('locked')).toBe(10 * 60);
  });
});
