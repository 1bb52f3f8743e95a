import { GateRefusal } from './gate-refusal';
import type { Manifest, RegistryClient } from './registry-client';
import { signedBy, type TrustedKey } from './trusted-key';

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

interface SimpleSigningPayload {
  critical?: { type?: string; image?: { 'docker-manifest-digest'?: string } };
}

/**
 * Verifies a key-based cosign signature the way `cosign verify --key
 * --insecure-ignore-tlog` does, from the registry's `sha256-<hex>.sig`
 * artifact: a layer's payload must be signed by a trusted key and must name
 * this very digest (a signature copied from another image does not count).
 * Returns the signer's name.
 */
export async function verifyCosignSignature(
  client: RegistryClient,
  repository: string,
  digest: string,
  manifest: Manifest | undefined,
  keys: readonly TrustedKey[],
): Promise<string> {
  if (!manifest) throw new GateRefusal('signature', `${digest.slice(0, 19)}… has no cosign signature in ${client.registry}/${repository}`);
  let byOtherKey = false;
  let forOtherImage = false;
  for (const layer of manifest.layers.filter((l) => l.mediaType === SIMPLE_SIGNING)) {
    const payload = await client.blob(repository, layer.digest);
    const key = signedBy(keys, payload, layer.annotations?.[SIGNATURE_ANNOTATION] ?? '');
    if (!key) {
      byOtherKey = true;
      continue;
    }
    const claims = JSON.parse(payload.toString('utf8')) as SimpleSigningPayload;
    if (claims.critical?.type !== 'cosign container image signature' || claims.critical.image?.['docker-manifest-digest'] !== digest) {
      forOtherImage = true;
      continue;
    }
    return key.name;
  }
  const reason = forOtherImage
    ? `the signature names another image than ${digest.slice(0, 19)}… (copied from elsewhere)`
    : byOtherKey
      ? `${digest.slice(0, 19)}… is signed only by keys not listed in policies/images.yaml`
      : `${digest.slice(0, 19)}… has no cosign signature layer`;
  throw new GateRefusal('signature', reason);
}
