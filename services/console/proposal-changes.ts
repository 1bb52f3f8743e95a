import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CLUSTER_ID_PATTERN, CLUSTER_ID_RULE } from '../../common/input-ids';
import { CONFIG_PATHS } from '../../config/config-files';
import { PROFILES } from '../../config/fleet-taxonomy';
import { ProposalRefused } from '../../repo/proposal-branch';

/**
 * What an operator may propose without raw git (SPEC-3: "propose change (profiles/...)"): a cluster's wave,
 * profiles and labels in clusters.yaml, and a service's image in the compose file. Each is an edit of the
 * YAML document as committed, so comments and layout elsewhere in the file stay as they were.
 */
export type ProposalChange =
  | { kind: 'cluster'; cluster: string; wave?: string; profiles?: string[]; labels?: Record<string, string> }
  | { kind: 'image'; service: string; image: string };

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const LABEL = /^([A-Za-z0-9._/-]{1,63})=([^=\s,]{0,200})$/;

/** The new-proposal form, and the same fields as JSON: empty fields leave the value as it is. */
export const proposalFormSchema = z
  .strictObject({
    csrf: z.string().optional(),
    title: z.string().trim().min(1, 'is empty').max(120, 'is longer than 120 characters'),
    kind: z.enum(['cluster', 'image'], { error: "must be 'cluster' or 'image'" }),
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
  })
  .transform((f, ctx): { title: string; change: ProposalChange } => {
    if (f.kind === 'cluster') {
      if (!f.cluster) return missing(ctx, 'cluster', 'names no cluster');
      if (!f.wave && !f.profiles && !f.labels) return missing(ctx, 'wave', 'a cluster change needs a wave, profiles or labels');
      return { title: f.title, change: { kind: 'cluster', cluster: f.cluster, wave: f.wave, profiles: f.profiles, labels: f.labels } };
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

/** The one file a change edits. */
export function fileOf(change: ProposalChange): string {
  return change.kind === 'cluster' ? CONFIG_PATHS.inventory : CONFIG_PATHS.compose;
}

/** The file of the change (`text`, as it stands at the proposal's base) with the change made. */
export function applyChange(change: ProposalChange, text: string, base: string): string {
  const file = fileOf(change);
  const doc = parse(file, text);
  if (change.kind === 'cluster') {
    const clusters = doc.get('clusters');
    const index = isSeq(clusters) ? clusters.items.findIndex((c) => isMap(c) && c.get('id') === change.cluster) : -1;
    if (index < 0) throw new ProposalRefused('cluster', `'${change.cluster}' is not in ${file} at ${base.slice(0, 12)}`);
    if (change.wave) doc.setIn(['clusters', index, 'wave'], change.wave);
    if (change.profiles) doc.setIn(['clusters', index, 'profiles'], doc.createNode(change.profiles, { flow: true }));
    if (change.labels) doc.setIn(['clusters', index, 'labels'], doc.createNode(change.labels));
    return doc.toString();
  }
  if (!doc.hasIn(['services', change.service])) throw new ProposalRefused('service', `'${change.service}' is not a service of ${file} at ${base.slice(0, 12)}`);
  doc.setIn(['services', change.service, 'image'], change.image);
  return doc.toString();
}

function parse(file: string, text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ProposalRefused(file, `is not YAML at the proposal's base: ${doc.errors[0]!.message}`);
  return doc;
}
