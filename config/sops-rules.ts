import { z } from 'zod';
import { ConfigError } from './config-error';
import { parseAgeRecipient } from '../secrets/age-encrypt';
import { parseWith, parseYaml } from './config-files';

/** The repo's SOPS settings: which age recipients a new secrets file is encrypted to, as `sops encrypt` finds them. */
export const SOPS_RULES_FILE = '.sops.yaml';

const ageKeys = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : v.split(',')).map((r) => r.trim()).filter(Boolean));

const sopsRulesSchema = z.object({
  creation_rules: z
    .array(
      z.object({
        path_regex: z.string().optional(),
        age: ageKeys.optional(),
        key_groups: z.array(z.object({ age: ageKeys.optional() })).optional(),
      }),
    )
    .min(1, 'names no rule'),
});

/**
 * The age recipients of `file` (a path in the repo) under `.sops.yaml`: the first creation rule whose `path_regex`
 * matches it (a rule without one matches every file), as sops itself picks it. A file no rule covers, or a rule
 * with no age recipient, is refused: the value would reach no cluster.
 */
export function ageRecipientsFor(text: string, file: string): string[] {
  const rules = parseWith(sopsRulesSchema, SOPS_RULES_FILE, parseYaml(SOPS_RULES_FILE, text)).creation_rules;
  const index = rules.findIndex((r, i) => r.path_regex === undefined || pathRegex(r.path_regex, i).test(file));
  const rule = rules[index];
  if (!rule) throw new ConfigError(SOPS_RULES_FILE, 'creation_rules', `no rule's path_regex matches ${file}`);
  if (rule.key_groups && rule.key_groups.length > 1) {
    throw new ConfigError(SOPS_RULES_FILE, `creation_rules[${index}].key_groups`, 'more than one key group (Shamir secret sharing) is not supported');
  }
  const field = rule.age ? `creation_rules[${index}].age` : `creation_rules[${index}].key_groups[0].age`;
  const recipients = rule.age ?? rule.key_groups?.[0]?.age ?? [];
  if (recipients.length === 0) throw new ConfigError(SOPS_RULES_FILE, field, `the rule for ${file} names no age recipient`);
  for (const recipient of recipients) {
    try {
      parseAgeRecipient(recipient);
    } catch (err) {
      throw new ConfigError(SOPS_RULES_FILE, field, (err as Error).message);
    }
  }
  return recipients;
}

function pathRegex(source: string, index: number): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new ConfigError(SOPS_RULES_FILE, `creation_rules[${index}].path_regex`, 'not a valid regular expression');
  }
}
