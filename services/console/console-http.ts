import type { z } from 'zod';
import type { Reply } from '../webhook/http-reply';

/** A request the console refuses: answered as `{error: {field, reason}}` with its status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new RequestError(400, issue.path.join('.') || '(body)', issue.message);
}

export function html(status: number, body: string, headers: Record<string, string | string[]> = {}): Reply {
  return { status, contentType: 'text/html; charset=utf-8', body, headers };
}

export function redirect(location: string, setCookie?: string | string[]): Reply {
  return { status: 303, contentType: 'text/plain', body: '', headers: { location, ...(setCookie ? { 'set-cookie': setCookie } : {}) } };
}
