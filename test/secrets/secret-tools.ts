import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import versions from '../../scripts/tool-versions.json';

/** The real sops, age and age-keygen that make the fixtures, as scripts/bootstrap.sh builds them. */
export interface SecretTools {
  sops: string;
  age: string;
  ageKeygen: string;
}

/** Throws, so the suite fails rather than skips, when bootstrap has not built the tools. */
export function secretTools(toolsDir = process.env.LUCID_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'lucid')): SecretTools {
  const tools = {
    sops: path.join(toolsDir, 'bin', `sops-${versions.sops}`),
    age: path.join(toolsDir, 'bin', `age-${versions.age}`),
    ageKeygen: path.join(toolsDir, 'bin', `age-keygen-${versions.age}`),
  };
  const missing = Object.values(tools).filter((bin) => !isExecutable(bin));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run \`bash scripts/bootstrap.sh --all\` to build sops and age`);
  return tools;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a tool in `cwd` with HOME pointing there too, so no key file, `.sops.yaml` or environment of the
 * machine leaks into a fixture.
 */
export function runTool(bin: string, args: string[], opts: { cwd: string; env?: Record<string, string>; input?: Buffer | string }): Buffer {
  return execFileSync(bin, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.cwd, XDG_CONFIG_HOME: opts.cwd, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface AgeKey {
  identity: string;
  recipient: string;
  /** The key file age-keygen wrote, for the real tools' `-i` and SOPS_AGE_KEY_FILE. */
  keyFile: string;
}

/** A fresh X25519 key pair from the real age-keygen. */
export function generateAgeKey(tools: SecretTools, dir: string, name: string): AgeKey {
  const file = path.join(dir, `${name}.key`);
  runTool(tools.ageKeygen, ['-o', file], { cwd: dir });
  const identity = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
  if (!identity) throw new Error(`age-keygen wrote no AGE-SECRET-KEY-1 line to ${file}`);
  const recipient = runTool(tools.ageKeygen, ['-y', file], { cwd: dir }).toString().trim();
  return { identity, recipient, keyFile: file };
}
