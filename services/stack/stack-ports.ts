import * as fs from 'node:fs';
import { portOpen } from './managed-process';

/** The embedded stack listens on loopback only. */
export const HOST = '127.0.0.1';

/** Another stack on the port would otherwise pass for the one just started. */
export async function portFree(port: number, what: string, hint: string): Promise<void> {
  if (await portOpen(HOST, port)) throw new Error(`${what}: port ${port} on ${HOST} is already in use (another stack?); choose another with ${hint}`);
}

export function need(bin: string, what: string): void {
  if (!fs.existsSync(bin)) throw new Error(`${what} not installed at ${bin}: run \`npm run bootstrap\``);
}
