import type { Manifest, RegistryClient } from './registry-client';
import { signedBy, type TrustedKey } from './trusted-key';

const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';

export interface Attestation {
  predicateType: string;
  predicate: unknown;
  signer: string;
}

interface Envelope {
  payloadType?: string;
  payload?: string;
  signatures?: Array<{ sig?: string }>;
}

interface Statement {
  predicateType?: string;
  subject?: Array<{ digest?: Record<string, string> }>;
  predicate?: unknown;
}

function parseJson<T>(bytes: Buffer): T | undefined {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** DSSE pre-authentication encoding: what a DSSE signature is over. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

/**
 * The in-toto attestations `cosign attest --key` stored for a digest (its
 * `sha256-<hex>.att` artifact), keeping only those signed by a trusted key
 * whose subject is this digest.
 */
export async function verifiedAttestations(
  client: RegistryClient,
  repository: string,
  digest: string,
  manifest: Manifest | undefined,
  keys: readonly TrustedKey[],
): Promise<Attestation[]> {
  if (!manifest) return [];
  const hex = digest.slice('sha256:'.length);
  const attestations: Attestation[] = [];
  for (const layer of manifest.layers.filter((l) => l.mediaType === DSSE_ENVELOPE)) {
    const envelope = parseJson<Envelope>(await client.blob(repository, layer.digest));
    // Anyone who may push can append layers: one that is not a signed envelope is ignored, not fatal.
    if (!envelope?.payloadType || !envelope.payload) continue;
    const payload = Buffer.from(envelope.payload, 'base64');
    const pae = preAuthEncoding(envelope.payloadType, payload);
    const key = (envelope.signatures ?? []).map((s) => signedBy(keys, pae, s.sig ?? '')).find(Boolean);
    if (!key || envelope.payloadType !== 'application/vnd.in-toto+json') continue;
    const statement = parseJson<Statement>(payload);
    if (!statement?.predicateType || !(statement.subject ?? []).some((s) => s.digest?.sha256 === hex)) continue;
    attestations.push({ predicateType: statement.predicateType, predicate: statement.predicate, signer: key.name });
  }
  return attestations;
}
