import { OPT_OUT_FILE, type InsecureGate } from '../../config/insecure-opt-out';
import { CONFIG_PATHS } from '../../config/config-files';
import { ALLOWED_SIGNERS } from '../../repo/commit-signature';

const WHAT: Record<InsecureGate, string> = {
  unsignedCommits: `commit signatures are not checked (${OPT_OUT_FILE}: insecure.unsignedCommits); add ${ALLOWED_SIGNERS} to turn the gate on`,
  unpinnedImages: `images are not pinned, signed or attested (${OPT_OUT_FILE}: insecure.unpinnedImages); add ${CONFIG_PATHS.imagePolicy} to turn the gates on`,
};

/** What a commit's opt-out leaves unchecked, one line per gate, as `policy check` and `rollout status` print it. */
export function insecureWarnings(gates: InsecureGate[] = []): string[] {
  return gates.map((g) => WHAT[g]);
}
