import { z } from 'zod';
import { parseAgeRecipient } from '../secrets/age-encrypt';
import { ConfigError } from './config-error';
import { parseWith, parseYaml } from './config-files';

/** The repo's SOPS settings: which age recipients a new secrets file is encrypted to, as `sops encrypt` finds them. */
export const SOPS_RULES_FILE = '.sops.yaml';

const ageKeys = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((r) => r.trim()).filter(Boolean));
/** Key kinds sops knows besides age: a rule naming one would be sealed to fewer keys than it says. */
const OTHER_KEYS = ['pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri', 'hc_vault'] as const;
const keys = z.looseObject({ age: ageKeys.optional() });

const sopsRulesSchema = z.looseObject({
  creation_rules: z.array(keys.extend({ path_regex: z.string().optional(), key_groups: z.array(keys).optional() })).min(1, 'names no rule'),
});

/**
 * The age recipients of `file` (a path in the repo) under `.sops.yaml`: the first creation rule whose `path_regex`
 * matches it (a rule without one matches every file), its `key_groups` when it has them, as sops itself picks them.
 * A file no rule covers, a rule with no age recipient or with keys of another kind is refused: the value would
 * reach no cluster, or fewer keys than the rule names.
 */
export function ageRecipientsFor(text: string, file: string): string[] {
  const rules = parseWith(sopsRulesSchema, SOPS_RULES_FILE, parseYaml(SOPS_RULES_FILE, text)).creation_rules;
  const index = rules.findIndex((r, i) => r.path_regex === undefined || pathRegex(r.path_regex, i).test(file));
  const rule = rules[index];
  if (!rule) throw new ConfigError(SOPS_RULES_FILE, 'creation_rules', `no rule's path_regex matches ${file}`);
  const [group, field] = rule.key_groups
    ? [rule.key_groups[0], `creation_rules[${index}].key_groups[0]`]
    : [rule, `creation_rules[${index}]`];
  if (rule.key_groups && rule.key_groups.length > 1) {
    throw new ConfigError(SOPS_RULES_FILE, `creation_rules[${index}].key_groups`, 'more than one key group (Shamir secret sharing) is not supported');
  }
  const other = OTHER_KEYS.find((k) => group?.[k] !== undefined);
  if (other) throw new ConfigError(SOPS_RULES_FILE, `${field}.${other}`, 'the console seals to age recipients only');
  const recipients = group?.age ?? [];
  if (recipients.length === 0) throw new ConfigError(SOPS_RULES_FILE, `${field}.age`, `the rule for ${file} names no age recipient`);
  for (const recipient of recipients) {
    try {
      parseAgeRecipient(recipient);
    } catch (err) {
      throw new ConfigError(SOPS_RULES_FILE, `${field}.age`, (err as Error).message);
    }
  }
  return recipients;
}

/**
 * sops compiles path_regex with Go's RE2. The `u` flag makes JavaScript refuse most RE2-only syntax rather than
 * read it otherwise; a leading `(?i)`, common in RE2, becomes the `i` flag.
 */
function pathRegex(source: string, index: number): RegExp {
  const insensitive = source.startsWith('(?i)');
  try {
    return new RegExp(insensitive ? source.slice(4) : source, insensitive ? 'iu' : 'u');
  } catch {
    throw new ConfigError(SOPS_RULES_FILE, `creation_rules[${index}].path_regex`, 'not a regular expression this console reads the way sops does');
  }
}
