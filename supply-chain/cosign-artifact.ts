import { z } from 'zod';
import { GO_ZERO_TIME, goJson, type GoJson } from './go-json';
import { cosignTag } from './image-reference';
import { OCI_MANIFEST, type RegistryWriter } from './registry-writer';

/** A layer of a cosign `.sig` or `.att` artifact: one signature or one attestation. */
export interface CosignLayer {
  mediaType: string;
  body: Buffer;
  annotations: Record<string, string>;
}

const descriptor = z.object({
  mediaType: z.string(),
  size: z.number().int().nonnegative(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ArtifactLayer = z.infer<typeof descriptor>;
const manifest = z.object({ layers: z.array(descriptor) });

function layerDescriptor(l: ArtifactLayer): GoJson {
  const d = new Map<string, GoJson>([
    ['mediaType', l.mediaType],
    ['size', l.size],
    ['digest', l.digest],
  ]);
  if (l.annotations && Object.keys(l.annotations).length > 0) d.set('annotations', l.annotations);
  return d;
}

/** The image config go-containerregistry writes for cosign's layers (uncompressed, so diff IDs are the digests). */
function artifactConfig(layers: ArtifactLayer[]): Buffer {
  // go-containerregistry's zero values: cosign builds its artifacts on an empty image with no dates.
  const config = new Map<string, GoJson>([
    ['architecture', ''],
    ['created', GO_ZERO_TIME],
    ['history', layers.map(() => new Map([['created', GO_ZERO_TIME]]))],
    ['os', ''],
    ['rootfs', new Map<string, GoJson>([['type', 'layers'], ['diff_ids', layers.map((l) => l.digest)]])],
    ['config', new Map()],
  ]);
  return Buffer.from(goJson(config));
}

/**
 * Appends a layer to the `sha256-<hex>.<suffix>` artifact of an image digest,
 * as cosign does: the existing layers are kept in order and the manifest is
 * rewritten with the new one last. `isDuplicate` may decline (cosign skips a
 * signature its key already made over the same payload); returns whether the
 * layer was written.
 */
export async function appendCosignLayer(
  writer: RegistryWriter,
  repository: string,
  digest: string,
  suffix: 'sig' | 'att',
  layer: CosignLayer,
  isDuplicate: (existing: ArtifactLayer) => boolean = () => false,
): Promise<boolean> {
  const tag = cosignTag(digest, suffix);
  const where = `${writer.registry}/${repository}:${tag}`;
  const raw = await writer.manifest(repository, tag);
  let layers: ArtifactLayer[] = [];
  if (raw) {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new Error(`${where}: not JSON: ${(err as Error).message}`);
    }
    const parsed = manifest.safeParse(json);
    if (!parsed.success) throw new Error(`${where}: not an OCI manifest of cosign layers: ${parsed.error.message}`);
    layers = parsed.data.layers;
  }
  const pushed = await writer.pushBlob(repository, layer.body);
  const added: ArtifactLayer = { mediaType: layer.mediaType, ...pushed, annotations: layer.annotations };
  if (layers.some((l) => l.digest === added.digest && l.mediaType === added.mediaType && isDuplicate(l))) return false;
  layers = [...layers, added];
  const config = artifactConfig(layers);
  const configDescriptor = await writer.pushBlob(repository, config);
  const body = new Map<string, GoJson>([
    ['schemaVersion', 2],
    ['mediaType', OCI_MANIFEST],
    ['config', layerDescriptor({ mediaType: 'application/vnd.oci.image.config.v1+json', ...configDescriptor })],
    ['layers', layers.map(layerDescriptor)],
  ]);
  await writer.pushManifest(repository, tag, Buffer.from(goJson(body)));
  return true;
}
