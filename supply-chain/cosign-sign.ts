import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { appendCosignLayer } from './cosign-artifact';
import { goJson, type GoJson } from './go-json';
import { isDigest, parseImageReference } from './image-reference';
import { RegistryWriter } from './registry-writer';

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** A digest-pinned image as cosign names it: go-containerregistry's repository name and the digest. */
export interface PinnedImage {
  registry: string;
  repository: string;
  /** go-containerregistry's `Repository.Name()`: Docker Hub spelled out, as cosign writes it into payloads. */
  name: string;
  digest: string;
}

export function pinnedImage(ref: string): PinnedImage {
  const { registry, repository, digest } = parseImageReference(ref);
  if (!isDigest(digest)) throw new Error(`${ref}: sign a digest (registry/repository@sha256:…), not a tag`);
  const hub = registry === 'docker.io' || registry === 'index.docker.io';
  const name = hub ? `index.docker.io/${repository.includes('/') ? repository : `library/${repository}`}` : `${registry}/${repository}`;
  return { registry, repository, name, digest };
}

/** The simple-signing payload `cosign sign` signs (sigstore's payload.Cosign, no annotations), byte for byte. */
export function simpleSigningPayload(image: PinnedImage): Buffer {
  const critical = new Map<string, GoJson>([
    ['identity', new Map([['docker-reference', image.name]])],
    ['image', new Map([['docker-manifest-digest', image.digest]])],
    ['type', 'cosign container image signature'],
  ]);
  return Buffer.from(goJson(new Map<string, GoJson>([['critical', critical], ['optional', null]])));
}

/**
 * What `cosign sign --key <key> --tlog-upload=false <image@digest>` does: an
 * ECDSA-SHA256 signature (DER, base64 in the layer's annotation) over the
 * simple-signing payload, appended to the digest's `.sig` artifact unless this
 * key already signed that payload there. Returns whether a signature was added.
 */
export async function cosignSign(privateKey: KeyObject, ref: string): Promise<boolean> {
  const image = pinnedImage(ref);
  const payload = simpleSigningPayload(image);
  const publicKey = createPublicKey(privateKey);
  const signature = sign('sha256', payload, privateKey).toString('base64');
  const alreadySigned = (l: { annotations?: Record<string, string> }) => {
    const existing = Buffer.from(l.annotations?.[SIGNATURE_ANNOTATION] ?? '', 'base64');
    try {
      return existing.length > 0 && verify('sha256', payload, publicKey, existing);
    } catch {
      return false; // a malformed signature in the artifact is someone else's layer, kept as it is
    }
  };
  return appendCosignLayer(
    new RegistryWriter(image.registry),
    image.repository,
    image.digest,
    'sig',
    { mediaType: SIMPLE_SIGNING, body: payload, annotations: { [SIGNATURE_ANNOTATION]: signature } },
    alreadySigned,
  );
}
