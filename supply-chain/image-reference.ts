/** An image reference split the way Docker reads it (distribution/reference grammar, simplified). */
export interface ImageReference {
  /** Registry host[:port]; `docker.io` when the reference names none. */
  registry: string;
  /** Repository path inside the registry. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` when pinned. */
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // Only a first component with a dot, a port or "localhost" is a registry; `library/x` is Docker Hub.
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  let tag: string | undefined;
  const colon = repository.lastIndexOf(':');
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
  }
  return { registry, repository, tag, digest };
}

export function isDigest(value: string | undefined): value is string {
  return value !== undefined && DIGEST.test(value);
}

/** The tag cosign stores a digest's signature (`.sig`) or attestations (`.att`) under. */
export function cosignTag(digest: string, suffix: 'sig' | 'att'): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}
