import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { BUSYBOX_IMAGE, ensureBusyboxImage, ensureImage } from '../compose/busybox-image';
import { cosignTag, parseImageReference } from '../supply-chain/image-reference';
import { RegistryClient } from '../supply-chain/registry-client';
import { pushImage, releaseImage, type ReleaseKey } from './image-release';

/**
 * The images the demo and the tests run. No registry is reachable from here,
 * so they are built locally: a tiny HTTP "service" on the busybox rootfs,
 * its version baked in.
 */
export const BASE_IMAGE = BUSYBOX_IMAGE;
export const DEMO_APP = 'lucid-local/demo-app';
export const DEMO_VERSIONS = ['v1', 'v2'] as const;

/** Serves /www on :8080 after DEMO_DELAY seconds; DEMO_FAIL=1 never serves, so the healthcheck fails. */
const APP_SH = `#!/bin/sh
echo "service=\${SERVICE:-unknown} version=$(cat /www/version)"
[ -n "\${DEMO_DELAY:-}" ] && sleep "\$DEMO_DELAY"
[ "\${DEMO_FAIL:-0}" = 1 ] && echo "DEMO_FAIL=1: not serving" && exec sleep 100000
exec httpd -f -p 8080 -h /www
`;

const appDockerfile = (version: string) => `FROM ${BASE_IMAGE}
COPY app.sh /app.sh
RUN echo ${version} > /www/version
HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/version || exit 1
CMD ["/bin/sh", "/app.sh"]
`;

export async function ensureDemoImages(docker = new Docker()): Promise<string[]> {
  const built: string[] = [];
  if (await ensureBusyboxImage(docker)) built.push(BASE_IMAGE);
  for (const v of DEMO_VERSIONS) {
    const tag = `${DEMO_APP}:${v}`;
    if (await ensureImage(docker, tag, { Dockerfile: appDockerfile(v), 'app.sh': APP_SH })) built.push(tag);
  }
  return built;
}

/** The busybox-static version the images are built from, for their SBOM. */
function busyboxVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'busybox-static']).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Pushes the demo app versions to the registry, signs them and attests their
 * SBOM and a vulnerability report, the way a release pipeline would. No
 * scanner database is reachable offline, so the report says so in its scanner
 * URI and lists no findings. Returns the pinned reference per version.
 */
export async function releaseDemoImages(docker: Docker, registry: string, key: ReleaseKey): Promise<Record<string, string>> {
  const pinned: Record<string, string> = {};
  for (const v of DEMO_VERSIONS) {
    const ref = await pushImage(docker, `${DEMO_APP}:${v}`, registry, 'lucid/demo-app', v);
    pinned[v] = ref;
    // Released once: every signature and attestation would otherwise pile up on the digest at each run.
    const { repository, digest } = parseImageReference(ref);
    if (await new RegistryClient(registry).manifest(repository, cosignTag(digest!, 'sig'))) continue;
    await releaseImage(key, ref, {
      packages: [
        { name: 'busybox-static', version: busyboxVersion() },
        { name: 'lucid-demo-app', version: v },
      ],
      findings: { critical: 0, high: 0 },
      scanner: 'pkg:generic/lucid-demo-unscanned',
    });
  }
  return pinned;
}

if (require.main === module) {
  ensureDemoImages().then(
    (built) => built.length && process.stderr.write(`bootstrap: built images ${built.join(', ')}\n`),
    (err: Error) => {
      process.stderr.write(`bootstrap: ERROR: ${err.message}\n`);
      process.exit(1);
    },
  );
}
