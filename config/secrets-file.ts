import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { checkCount, parseYaml, readRepoFile } from './config-files';
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

export const SECRET_NAME = /^[A-Za-z0-9_.-]+$/;
const VALUE_FILE = /^([A-Za-z0-9_.-]+)\.enc\.yaml$/;

/** One of a cluster's SOPS files and the (plaintext) names of the secrets it holds. */
export interface SecretsSource {
  file: string;
  text: string;
  names: string[];
}

/**
 * The cluster's SOPS files at a commit: `secrets/<id>.enc.yaml`, then each `secrets/<id>.d/<NAME>.enc.yaml` in name
 * order, whose one value takes the place of NAME. Empty when the commit has none. Refused over the size and count
 * limits, and a `.d` file that is not `<NAME>.enc.yaml` holding NAME alone. A SOPS file's names are plaintext, so the
 * console checks them as each cluster does, without a key.
 */
export function readSecretsSources(treeDir: string, clusterId: string, limits: Limits): SecretsSource[] {
  const maxSecrets = limitOf(limits, 'secrets', 'maxSecrets');
  const sources: SecretsSource[] = [];
  const read = (file: string): SecretsSource => {
    const text = readRepoFile(treeDir, file, limitOf(limits, 'secrets', 'maxBytes'));
    const doc = parseYaml(file, text);
    const names = doc && typeof doc === 'object' ? Object.keys(doc).filter((k) => k !== 'sops') : [];
    checkCount(file, '(file)', names.length, maxSecrets, 'secrets');
    return { file, text, names };
  };
  if (fs.existsSync(path.join(treeDir, secretsFile(clusterId)))) sources.push(read(secretsFile(clusterId)));
  const dir = secretValuesDir(clusterId);
  const full = path.join(treeDir, dir);
  if (fs.existsSync(full)) {
    if (!fs.lstatSync(full).isDirectory()) throw new ConfigError(dir, '(file)', 'must be a directory of <NAME>.enc.yaml files');
    const entries = fs.readdirSync(full).sort();
    checkCount(dir, '(file)', entries.length, maxSecrets, 'secrets');
    for (const entry of entries) {
      const file = `${dir}/${entry}`;
      const name = VALUE_FILE.exec(entry)?.[1];
      if (!name) throw new ConfigError(file, '(file)', 'a file of secrets/<id>.d/ is named <NAME>.enc.yaml');
      const source = read(file);
      if (source.names.length !== 1 || source.names[0] !== name) {
        throw new ConfigError(file, '(file)', `holds exactly one secret, ${name} (its file's name); it holds ${source.names.join(', ') || 'none'}`);
      }
      sources.push(source);
    }
  }
  const names = new Set(sources.flatMap((s) => s.names));
  checkCount(secretsFile(clusterId), '(file)', names.size, maxSecrets, 'secrets');
  return sources;
}
