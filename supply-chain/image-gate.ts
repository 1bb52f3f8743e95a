import { createHash } from 'node:crypto';
import { ConfigError } from '../config/config-error';
import { CONFIG_PATHS } from '../config/config-files';
import type { ImagePolicy } from '../config/image-policy';
import { verifiedAttestations } from './attestations';
import { verifyCosignSignature } from './cosign-signature';
import { GateRefusal } from './gate-refusal';
import { cosignTag, isDigest, parseImageReference } from './image-reference';
import { RegistryClient, RegistryError, type Manifest } from './registry-client';
import { VerdictCache } from './verdict-cache';
import { SBOM_PREDICATES, newestSeverityCounts, type SeverityCounts } from './vulnerability-report';

export interface ImageVerdict extends SeverityCounts {
  image: string;
  signer: string;
  sbom: string;
}

export interface ImageUse {
  service: string;
  image: string;
}

/** Registry round trips in flight at once; a Pi's uplink and the mirror are small. */
const PARALLEL = 8;

function keysFingerprint(policy: ImagePolicy): string {
  const h = createHash('sha256');
  for (const s of policy.signers) h.update(s.name).update('\0').update(s.publicKey.export({ type: 'spki', format: 'der' }));
  return h.digest('hex');
}

async function verdictOf(policy: ImagePolicy, image: string, cache: VerdictCache<ImageVerdict>, keys: string): Promise<ImageVerdict> {
  if (image.includes('$')) {
    throw new GateRefusal('pinning', `'${image}' is interpolated; write the digest reference literally so every cluster runs what was verified`);
  }
  const ref = parseImageReference(image);
  if (!isDigest(ref.digest)) {
    throw new GateRefusal('pinning', `'${image}' is not pinned by digest (write ${ref.registry}/${ref.repository}@sha256:<digest>)`);
  }
  if (!policy.registries.includes(ref.registry)) {
    throw new GateRefusal('registry', `${ref.registry} is not listed in ${CONFIG_PATHS.imagePolicy} (${policy.registries.join(', ')})`);
  }
  const client = new RegistryClient(ref.registry);
  const cacheKey = (...parts: Array<string | undefined>) =>
    createHash('sha256').update([ref.registry, ref.repository, ref.digest, ...parts, keys].join('\n')).digest('hex');
  let sig: Manifest | undefined;
  let att: Manifest | undefined;
  try {
    [sig, att] = await Promise.all([
      client.manifest(ref.repository, cosignTag(ref.digest, 'sig')),
      client.manifest(ref.repository, cosignTag(ref.digest, 'att')),
    ]);
  } catch (err) {
    // A Pi cut off from the mirror must still be able to roll back: the digest's last passing verdict
    // (same keys) stands in, and the budget is still applied to it.
    const last = err instanceof RegistryError ? cache.get(cacheKey('latest')) : undefined;
    if (last) return { ...last, image };
    throw err;
  }
  const key = cacheKey(sig?.digest, att?.digest);
  const cached = cache.get(key);
  if (cached) return { ...cached, image };

  if (!(await client.manifest(ref.repository, ref.digest))) {
    throw new GateRefusal('registry', `${ref.registry}/${ref.repository} has no image ${ref.digest.slice(0, 19)}…`);
  }
  const signer = await verifyCosignSignature(client, ref.repository, ref.digest, sig, policy.signers);
  const attestations = await verifiedAttestations(client, ref.repository, ref.digest, att, policy.signers);
  const sbom = attestations.find((a) => SBOM_PREDICATES.includes(a.predicateType));
  if (!sbom) throw new GateRefusal('sbom', 'no SBOM attestation (cosign attest --type spdxjson or cyclonedx) by a listed key');
  const verdict: ImageVerdict = { image, signer, sbom: sbom.predicateType, ...newestSeverityCounts(attestations) };
  cache.put(key, verdict);
  cache.put(cacheKey('latest'), verdict);
  return verdict;
}

function withinBudget(policy: ImagePolicy, v: ImageVerdict): void {
  const { critical, high } = policy.vulnerabilityBudget;
  if (v.critical > critical || v.high > high) {
    throw new GateRefusal(
      'vulnerabilities',
      `${v.critical} critical and ${v.high} high findings (report of ${v.scannedAt}) exceed the budget of ${critical} critical, ${high} high`,
    );
  }
}

/**
 * The image gates of SPEC-3 M4/M5 over every service's image: pinned by
 * digest, from a listed registry, signed by a listed key, with a signed SBOM
 * and a vulnerability report within budget. Images are checked in parallel;
 * the refusal reported is the first service's in name order, so it does not
 * depend on timing. The budget is applied after the cache, so tightening it
 * takes effect at once.
 */
export async function checkImages(policy: ImagePolicy, uses: readonly ImageUse[], cacheDir: string): Promise<ImageVerdict[]> {
  const cache = new VerdictCache<ImageVerdict>(cacheDir);
  const keys = keysFingerprint(policy);
  const images = [...new Set(uses.map((u) => u.image))];
  const results = new Map<string, ImageVerdict | GateRefusal>();
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const image = images[next++]!;
      try {
        const verdict = await verdictOf(policy, image, cache, keys);
        withinBudget(policy, verdict);
        results.set(image, verdict);
      } catch (err) {
        if (!(err instanceof GateRefusal)) throw err;
        results.set(image, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, images.length) }, worker));
  for (const use of [...uses].sort((a, b) => a.service.localeCompare(b.service))) {
    const result = results.get(use.image)!;
    if (result instanceof GateRefusal) throw new ConfigError(CONFIG_PATHS.compose, `services.${use.service}.image`, result.message);
  }
  return images.map((i) => results.get(i) as ImageVerdict);
}
