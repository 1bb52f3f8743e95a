import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OperatorAccount } from './operator-accounts';

export interface SignInSession {
  id: string;
  operator: OperatorAccount;
  /** Sent with every state-changing request (header or form field); a cross-site page cannot read it. */
  csrf: string;
  expiresAt: number;
}

/** Eight hours: a working day; the operator signs in again the next. */
const SESSION_MS = 8 * 60 * 60 * 1000;

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Signed-in sessions, in the serving process's memory only: nothing a session id could be stolen from sits on
 * disk, and restarting `lucid serve` signs everyone out.
 */
export class SignInSessions {
  private readonly sessions = new Map<string, SignInSession>();

  constructor(private readonly now: () => number = Date.now) {}

  create(operator: OperatorAccount): SignInSession {
    this.prune();
    const session = { id: randomToken(), operator, csrf: randomToken(), expiresAt: this.now() + SESSION_MS };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): SignInSession | undefined {
    const s = id === undefined ? undefined : this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(s.id);
      return undefined;
    }
    return s;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
