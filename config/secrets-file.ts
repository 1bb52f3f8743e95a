import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { checkCount, checkSize, parseYaml, readRepoFile } from './config-files';
import { limitOf, type Limits } from './limits';

export function secretsFile(clusterId: string): string {
  return `secrets/${clusterId}.enc.yaml`;
}

/** Where single secrets sealed on their own (by the console) live, one file each. */
export function secretValuesDir(clusterId: string): string {
  return `secrets/${clusterId}.d`;
}

/**
 * One secret sealed on its own: the console cannot open the cluster's file to add a value to it, so a proposed
 * value is a SOPS file of its own, and it takes the place of the same name in `secrets/<id>.enc.yaml`.
 */
export function secretValueFile(clusterId: string, name: string): string {
  return `${secretValuesDir(clusterId)}/${name}.enc.yaml`;
}

/** A secret's name is a file name on the cluster's tmpfs: never `.` or `..`, never hidden. */
export const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
export const SECRET_NAME_RULE = 'letters, digits, _ . and -, starting with a letter, digit or _, at most 100';
const VALUE_FILE = /^(.+)\.enc\.yaml$/;

/** Why a name cannot be sealed on its own: SOPS keeps `sops` for itself and leaves `*_unencrypted` in clear. */
export function unsealableSecretName(name: string): string | undefined {
  if (!SECRET_NAME.test(name)) return `must be ${SECRET_NAME_RULE}`;
  if (name === 'sops') return "'sops' is where SOPS keeps its metadata";
  if (name.endsWith('_unencrypted')) return 'SOPS leaves a name ending in _unencrypted in clear';
  return undefined;
}

/** The (plaintext) names of the secrets in a SOPS file: every top-level key but its metadata. */
export function secretNamesIn(file: string, text: string): string[] {
  const doc = parseYaml(file, text);
  return doc && typeof doc === 'object' ? Object.keys(doc).filter((k) => k !== 'sops') : [];
}

/** One of a cluster's SOPS files and the names of the secrets it holds. */
export interface SecretsSource {
  file: string;
  text: string;
  names: string[];
}

/**
 * The cluster's SOPS files at a commit: `secrets/<id>.enc.yaml`, then each `secrets/<id>.d/<NAME>.enc.yaml` in name
 * order, whose one value takes the place of NAME. Empty when the commit has none. Together they are held to the
 * secrets limits (bytes and names), checked before any is read; a `.d` file not named `<NAME>.enc.yaml` holding
 * NAME alone is refused. A SOPS file's names are plaintext, so the console checks them as each cluster does.
 */
export function readSecretsSources(treeDir: string, clusterId: string, limits: Limits): SecretsSource[] {
  const [maxBytes, maxSecrets] = [limitOf(limits, 'secrets', 'maxBytes'), limitOf(limits, 'secrets', 'maxSecrets')];
  const files: Array<{ file: string; name?: string }> = [];
  if (fs.lstatSync(path.join(treeDir, secretsFile(clusterId)), { throwIfNoEntry: false })) files.push({ file: secretsFile(clusterId) });
  const dir = secretValuesDir(clusterId);
  const dirStat = fs.lstatSync(path.join(treeDir, dir), { throwIfNoEntry: false });
  if (dirStat) {
    if (!dirStat.isDirectory()) throw new ConfigError(dir, '(file)', 'must be a directory of <NAME>.enc.yaml files (not a link or a file)');
    const entries = fs.readdirSync(path.join(treeDir, dir)).sort();
    checkCount(dir, '(file)', entries.length, maxSecrets, 'secrets');
    for (const entry of entries) {
      const name = VALUE_FILE.exec(entry)?.[1];
      if (!name || !SECRET_NAME.test(name)) throw new ConfigError(`${dir}/${entry}`, '(file)', `a file of secrets/<id>.d/ is <NAME>.enc.yaml, NAME ${SECRET_NAME_RULE}`);
      files.push({ file: `${dir}/${entry}`, name });
    }
  }
  const together = files.length > 1 ? `${secretsFile(clusterId)} with ${dir}/` : secretsFile(clusterId);
  let bytes = 0;
  for (const { file } of files) {
    const stat = fs.lstatSync(path.join(treeDir, file));
    // A link or directory adds nothing here: readRepoFile refuses it below.
    if (stat.isFile()) bytes += stat.size;
  }
  checkSize(together, '(file)', bytes, maxBytes);
  const sources = files.map(({ file, name }): SecretsSource => {
    const text = readRepoFile(treeDir, file, maxBytes);
    const names = secretNamesIn(file, text);
    checkCount(file, '(file)', names.length, maxSecrets, 'secrets');
    if (name !== undefined && (names.length !== 1 || names[0] !== name)) {
      throw new ConfigError(file, '(file)', `holds exactly one secret, ${name} (its file's name); it holds ${names.join(', ') || 'none'}`);
    }
    return { file, text, names };
  });
  const names = new Set(sources.flatMap((s) => s.names));
  if (sources.length > 1) checkCount(together, '(file)', names.size, maxSecrets, 'secrets');
  return sources;
}
