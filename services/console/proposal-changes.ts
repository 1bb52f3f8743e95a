import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CLUSTER_ID_PATTERN, CLUSTER_ID_RULE } from '../../common/input-ids';
import type { ProposalChange, ProposalDraft } from '../../common/proposal-change';
import { CONFIG_PATHS } from '../../config/config-files';
import { SECRET_ENV_KEYS } from '../../config/cluster-env';
import { secretNamesIn, secretValueFile, unsealableSecretName } from '../../config/secrets-file';
import { PROFILES } from '../../config/fleet-taxonomy';
import { CommitReads } from '../../repo/commit-reads';
import { ProposalRefused } from '../../repo/proposal-branch';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const LABEL = /^([A-Za-z0-9._/-]{1,63})=([^=\s,]{0,200})$/;

/** The new-proposal form, and the same fields as JSON: empty fields leave the value as it is. */
export const proposalFormSchema = z
  .strictObject({
    csrf: z.string().optional(),
    title: z.string().trim().min(1, 'is empty').max(120, 'is longer than 120 characters'),
    kind: z.enum(['cluster', 'image', 'env', 'secret'], { error: "must be 'cluster', 'image', 'env' or 'secret'" }),
    cluster: z.preprocess(blank, z.string().regex(CLUSTER_ID_PATTERN, CLUSTER_ID_RULE).optional()),
    wave: z.preprocess(blank, z.string().trim().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lowercase wave name').optional()),
    profiles: z.preprocess(
      blank,
      z
        .string()
        .transform((s) => s.split(/[\s,]+/).filter(Boolean))
        .pipe(z.array(z.enum(PROFILES, { error: (i) => `unknown profile '${String(i.input)}' (known: ${PROFILES.join(', ')})` })).min(1))
        .optional(),
    ),
    labels: z.preprocess(
      blank,
      z
        .string()
        .transform((s) => s.split(/[\s,]+/).filter(Boolean))
        .pipe(z.array(z.string().regex(LABEL, 'must be key=value pairs, such as site=lab hardware=pi5')).max(50))
        .transform((pairs) => Object.fromEntries(pairs.map((p) => p.split('=', 2) as [string, string])))
        .optional(),
    ),
    service: z.preprocess(blank, z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be a compose service name').optional()),
    image: z.preprocess(blank, z.string().trim().regex(/^[^\s$]{1,300}$/, 'must be an image reference without spaces or $').optional()),
    key: z.preprocess(blank, z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a variable name: letters, digits and _, not starting with a digit').optional()),
    name: z.preprocess(
      blank,
      z
        .string()
        .superRefine((name, ctx) => {
          const problem = unsealableSecretName(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
    ),
    // Never echoed back: the form page that answers a refusal leaves it empty. A textarea sends CRLF line breaks.
    secret: z
      .string()
      .min(1, 'is empty')
      .max(4096, 'is longer than 4096 characters')
      .transform((v) => v.replace(/\r\n/g, '\n'))
      .optional(),
    value: z.string().regex(/^[^\s"'\\$#\x00-\x1f\x7f]{0,1000}$/, 'must be a literal value without spaces, quotes, \\, $ or #').optional(),
  })
  .transform((f, ctx): { title: string; change: ProposalDraft } => {
    if (f.kind === 'cluster') {
      if (!f.cluster) return missing(ctx, 'cluster', 'names no cluster');
      if (!f.wave && !f.profiles && !f.labels) return missing(ctx, 'wave', 'a cluster change needs a wave, profiles or labels');
      return { title: f.title, change: { kind: 'cluster', cluster: f.cluster, wave: f.wave, profiles: f.profiles, labels: f.labels } };
    }
    if (f.kind === 'env') {
      if (!f.cluster) return missing(ctx, 'cluster', 'names no cluster');
      if (!f.key) return missing(ctx, 'key', 'names no variable');
      return { title: f.title, change: { kind: 'env', cluster: f.cluster, key: f.key, value: f.value ?? '' } };
    }
    if (f.kind === 'secret') {
      if (!f.cluster) return missing(ctx, 'cluster', 'names no cluster');
      if (!f.name) return missing(ctx, 'name', 'names no secret');
      if (f.secret === undefined) return missing(ctx, 'secret', 'is empty');
      return { title: f.title, change: { kind: 'plain-secret', cluster: f.cluster, name: f.name, value: f.secret } };
    }
    if (!f.service) return missing(ctx, 'service', 'names no service');
    if (!f.image) return missing(ctx, 'image', 'is empty');
    return { title: f.title, change: { kind: 'image', service: f.service, image: f.image } };
  });

function missing(ctx: z.RefinementCtx, field: string, message: string): never {
  ctx.addIssue({ code: 'custom', path: [field], message });
  return z.NEVER;
}

/** The change as one line, for the commit subject's body and the proposal page. */
export function describeChange(c: ProposalChange): string {
  if (c.kind === 'image') return `service ${c.service}: image ${c.image}`;
  if (c.kind === 'env') return `cluster ${c.cluster}: .env ${c.key}=${c.value}`;
  if (c.kind === 'secret') return `cluster ${c.cluster}: secret ${c.name} (a new value, sealed to the cluster's age recipients)`;
  const parts = [
    c.wave && `wave ${c.wave}`,
    c.profiles && `profiles ${c.profiles.join(', ')}`,
    c.labels &&
      `labels ${Object.entries(c.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
  ].filter(Boolean);
  return `cluster ${c.cluster}: ${parts.join('; ')}`;
}

/** A config file as it stands at `base` of the git dir, for applyChange; a file not there is refused. */
export function fileAt(gitDir: string, base: string): (file: string) => Promise<string> {
  const reads = new CommitReads(gitDir);
  return (file) =>
    reads.at(base, ['show', '--end-of-options', `${base}:${file}`]).catch(() => {
      throw new ProposalRefused('file', `${file} is not in the config repo at ${base.slice(0, 12)}`);
    });
}

/**
 * The change made: the one file it edits (path → new content), each file read (`read`) as it stands at the
 * proposal's base. It edits the file as committed, so comments and layout elsewhere stay as they were.
 */
export async function applyChange(change: ProposalChange, read: (file: string) => Promise<string>, base: string): Promise<Record<string, string>> {
  if (change.kind === 'image') {
    const file = CONFIG_PATHS.compose;
    const doc = parse(file, await read(file));
    if (!doc.hasIn(['services', change.service])) throw new ProposalRefused('service', `'${change.service}' is not a service of ${file} at ${base.slice(0, 12)}`);
    doc.setIn(['services', change.service, 'image'], change.image);
    return { [file]: doc.toString() };
  }
  const inventory = parse(CONFIG_PATHS.inventory, await read(CONFIG_PATHS.inventory));
  const clusters = inventory.get('clusters');
  const index = isSeq(clusters) ? clusters.items.findIndex((c) => isMap(c) && c.get('id') === change.cluster) : -1;
  if (index < 0) throw new ProposalRefused('cluster', `'${change.cluster}' is not in ${CONFIG_PATHS.inventory} at ${base.slice(0, 12)}`);
  if (change.kind === 'secret') return { [secretValueFile(change.cluster, change.name)]: checkedSeal(change) };
  if (change.kind === 'env') {
    const file = String(inventory.getIn(['clusters', index, 'env']) ?? '');
    if (!/^clusters\/[A-Za-z0-9][A-Za-z0-9_-]*\/\.env$/.test(file)) throw new ProposalRefused('cluster', `'${change.cluster}' names no clusters/<id>/.env file in ${CONFIG_PATHS.inventory}`);
    return { [file]: setEnvValue(await read(file), change.key, change.value) };
  }
  if (change.wave) inventory.setIn(['clusters', index, 'wave'], change.wave);
  if (change.profiles) inventory.setIn(['clusters', index, 'profiles'], inventory.createNode(change.profiles, { flow: true }));
  if (change.labels) inventory.setIn(['clusters', index, 'labels'], inventory.createNode(change.labels));
  return { [CONFIG_PATHS.inventory]: inventory.toString() };
}

/**
 * `KEY=value` in place of the key's line, or added at the end. A secret's variable is refused before anything is
 * committed: a value typed there would otherwise be in the repo's history in clear, even if the gates refuse it.
 */
function setEnvValue(text: string, key: string, value: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${key}=`));
  const current = at < 0 ? undefined : lines[at]!.slice(key.length + 1).replace(/\s#.*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2');
  if ((SECRET_ENV_KEYS as readonly string[]).includes(key) || current === 'enc:sops') {
    throw new ProposalRefused('key', `${key} is a secret (enc:sops in .env): propose its value as a secret, sealed to the cluster, not as an .env value`);
  }
  if (at >= 0) lines[at] = `${key}=${value}`;
  else lines.splice(lines.at(-1) === '' ? lines.length - 1 : lines.length, 0, `${key}=${value}`);
  return lines.join('\n');
}

/** The sealed file holds the one secret and SOPS metadata, nothing else; its values stay sealed here. */
function checkedSeal(change: Extract<ProposalChange, { kind: 'secret' }>): string {
  const file = secretValueFile(change.cluster, change.name);
  const names = secretNamesIn(file, change.sealed);
  if (names.length !== 1 || names[0] !== change.name || !/^sops:/m.test(change.sealed)) {
    throw new ProposalRefused('secret', `${file} must hold ${change.name} and its SOPS metadata alone`);
  }
  return change.sealed;
}

function parse(file: string, text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ProposalRefused(file, `is not YAML at the proposal's base: ${doc.errors[0]!.message}`);
  return doc;
}
