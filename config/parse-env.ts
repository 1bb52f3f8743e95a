import type { z } from 'zod';

export class EnvError extends Error {
  constructor(readonly variable: string, readonly reason: string) {
    super(`environment: ${variable}: ${reason}`);
    this.name = 'EnvError';
  }
}

/**
 * Reads the variables a schema names from the environment (unset and empty
 * alike fall to the schema's default) and names the first bad one.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const picked = Object.fromEntries(Object.keys(schema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError(String(issue.path[0]), issue.message);
  }
  return parsed.data;
}
