import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCount, parseYaml, readRepoFile } from './config-files';
import { limitOf, type Limits } from './limits';

export function secretsFile(clusterId: string): string {
  return `secrets/${clusterId}.enc.yaml`;
}

/**
 * The text of `secrets/<id>.enc.yaml`, undefined when the commit has none,
 * refused over the commit's size or count limits. A SOPS file's names are
 * plaintext, so the console counts them as each cluster does, without a key.
 */
export function readSecretsFile(treeDir: string, clusterId: string, limits: Limits): string | undefined {
  const file = secretsFile(clusterId);
  if (!fs.existsSync(path.join(treeDir, file))) return undefined;
  const text = readRepoFile(treeDir, file, limitOf(limits, 'secrets', 'maxBytes'));
  const doc = parseYaml(file, text);
  const names = doc && typeof doc === 'object' ? Object.keys(doc).filter((k) => k !== 'sops').length : 0;
  checkCount(file, '(file)', names, limitOf(limits, 'secrets', 'maxSecrets'), 'secrets');
  return text;
}
