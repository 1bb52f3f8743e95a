import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CONFIG_PATHS, checkCount, itemsUnder, parseWith, parseYaml, readRepoFile } from './config-files';
import { DEFAULT_LIMITS, limitOf, type Limits } from './limits';

/** A cosign public key (PEM). cosign generate-key-pair makes ECDSA P-256 keys; those are what is verified. */
const publicKeySchema = z.string().transform((pem, ctx): KeyObject => {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return key;
    ctx.addIssue({ code: 'custom', message: `not an ECDSA P-256 key (got ${key.asymmetricKeyType}); use cosign generate-key-pair` });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a PEM public key (-----BEGIN PUBLIC KEY----- …)' });
  }
  return z.NEVER;
});

const countSchema = z.number().int().min(0, 'must be 0 or more');

const imagePolicySchema = z.strictObject({
  /** Registries images may come from (host[:port]); a cluster pulls from nowhere else. */
  registries: z.array(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/, 'a registry is host[:port]')).min(1, 'list at least one registry'),
  /** Keys whose cosign signatures and attestations are trusted. */
  signers: z
    .array(z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase name'), publicKey: publicKeySchema }))
    .min(1, 'list at least one signer')
    .refine((ss) => new Set(ss.map((s) => s.name)).size === ss.length, 'names a signer twice'),
  /** Most critical and high findings an image's newest vulnerability report may list. */
  vulnerabilityBudget: z.strictObject({ critical: countSchema, high: countSchema }),
});

export type ImagePolicy = z.infer<typeof imagePolicySchema>;

export function parseImagePolicy(text: string, limits: Limits = DEFAULT_LIMITS): ImagePolicy {
  const file = CONFIG_PATHS.imagePolicy;
  const doc = parseYaml(file, text);
  // Every signer's key is parsed, and tried on every image: bounded before the schema parses any.
  checkCount(file, 'signers', itemsUnder(doc, 'signers'), limitOf(limits, 'policies', 'maxSigners'), 'signers');
  return parseWith(imagePolicySchema, file, doc);
}

/** policies/images.yaml of a work tree, read within its size limit. */
export function loadImagePolicy(treeDir: string, limits: Limits): ImagePolicy {
  return parseImagePolicy(readRepoFile(treeDir, CONFIG_PATHS.imagePolicy, limitOf(limits, 'policies', 'maxBytes')), limits);
}
