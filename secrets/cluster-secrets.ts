import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import type { Limits } from '../config/limits';
import { SECRET_NAME, SECRET_NAME_RULE, readSecretsSources } from '../config/secrets-file';
import { diskFsType } from '../common/ram-fs';
import { decryptSopsYaml } from './sops-decrypt';

/**
 * The cluster's secrets from `secrets/<id>.enc.yaml` and the values sealed on their own in `secrets/<id>.d/`, each
 * decrypted in memory with this cluster's age identities; undefined when the commit has none. Values must be
 * scalars: each becomes one Compose secret file.
 */
export function decryptClusterSecrets(
  treeDir: string,
  clusterId: string,
  identities: string[],
  limits: Limits,
): Map<string, string> | undefined {
  const sources = readSecretsSources(treeDir, clusterId, limits);
  if (sources.length === 0) return undefined;
  const out = new Map<string, string>();
  for (const { file, text } of sources) {
    // A SopsError is a ConfigError: the commit is refused with the file, field and reason.
    const doc = decryptSopsYaml(text, identities, file);
    for (const [name, value] of Object.entries(doc)) {
      if (!SECRET_NAME.test(name)) throw new ConfigError(file, name, `a secret's name is ${SECRET_NAME_RULE}`);
      if (value === null || typeof value === 'object') throw new ConfigError(file, name, 'must be a single value (string, number or bool)');
      out.set(name, String(value));
    }
  }
  return out;
}

/**
 * Writes secrets as 0400 files under a RAM-backed directory, so they never
 * touch the SD card. The directory name is an HMAC of the values keyed by the
 * cluster's identity: unchanged secrets keep their path (Compose leaves the
 * containers alone), changed ones get a new path (the services are recreated),
 * and the name reveals nothing about the values.
 */
export function writeSecretFiles(root: string, clusterId: string, identity: string, secrets: Map<string, string>): Map<string, string> {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const type = diskFsType(root);
  if (type) throw new Error(`cluster ${clusterId}: secrets dir ${root} is not on tmpfs or ramfs (type ${type}); refusing to write secrets`);
  const mac = createHmac('sha256', identity);
  for (const [k, v] of [...secrets].sort(([a], [b]) => a.localeCompare(b))) mac.update(`${k}\0${v}\0`);
  const dir = path.join(root, clusterId, mac.digest('hex').slice(0, 24));
  const files = new Map<string, string>();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, value] of secrets) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, value, { mode: 0o400 });
      fs.renameSync(tmp, file);
    }
    files.set(name, file);
  }
  return files;
}

/** Removes the secret sets of commits no longer applied; `keep` is the directory in use. */
export function removeOtherSecretFiles(root: string, clusterId: string, keep: string | undefined): void {
  const clusterDir = path.join(root, clusterId);
  if (!fs.existsSync(clusterDir)) return;
  for (const entry of fs.readdirSync(clusterDir)) {
    const dir = path.join(clusterDir, entry);
    if (dir !== keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
