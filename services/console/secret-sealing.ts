import type { PlainSecret, ProposalChange } from '../../common/proposal-change';
import { ConfigError } from '../../config/config-error';
import { secretValueFile } from '../../config/secrets-file';
import { SOPS_RULES_FILE, ageRecipientsFor } from '../../config/sops-rules';
import { ProposalRefused } from '../../repo/proposal-branch';
import { encryptSopsYaml } from '../../secrets/sops-encrypt';

/**
 * A proposed secret value sealed as `sops encrypt` would seal it in the repo: `secrets/<id>.d/<NAME>.enc.yaml`,
 * encrypted to the age recipients `.sops.yaml` names for that path. The console holds no key that opens it again.
 */
export async function sealSecret(plain: PlainSecret, read: (file: string) => Promise<string>): Promise<ProposalChange> {
  const file = secretValueFile(plain.cluster, plain.name);
  const rules = await read(SOPS_RULES_FILE).catch((err: unknown) => {
    if (!(err instanceof ProposalRefused)) throw err;
    throw new ProposalRefused(SOPS_RULES_FILE, `is not in the config repo: it names the age recipients ${file} is sealed to`);
  });
  let recipients: string[];
  try {
    recipients = ageRecipientsFor(rules, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new ProposalRefused(SOPS_RULES_FILE, `${err.field}: ${err.reason}`);
    throw err;
  }
  return { kind: 'secret', cluster: plain.cluster, name: plain.name, sealed: encryptSopsYaml({ [plain.name]: plain.value }, recipients) };
}
