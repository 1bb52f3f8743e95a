import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { cosignTag, parseImageReference } from '../supply-chain/image-reference';
import { RegistryClient } from '../supply-chain/registry-client';
import { pushImage, releaseImage, type ReleaseKey } from './image-release';

/**
 * The images the demo and the tests run. No registry is reachable from here,
 * so they are built locally: a busybox-static rootfs FROM scratch, and a tiny
 * HTTP "service" on top whose version is baked in.
 */
export const BASE_IMAGE = 'lucid-local/busybox:1.35';
export const DEMO_APP = 'lucid-local/demo-app';
export const DEMO_VERSIONS = ['v1', 'v2'] as const;

const RECIPE_LABEL = 'com.lucid.recipe';

const BASE_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /data /www && chmod 1777 /tmp
`;

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

async function ensureImage(docker: Docker, tag: string, files: Record<string, string | Buffer>): Promise<boolean> {
  const recipe = createHash('sha256');
  for (const [name, body] of Object.entries(files).sort()) recipe.update(name).update('\0').update(body);
  const digest = recipe.digest('hex');
  const existing = await docker.getImage(tag).inspect().catch(() => undefined);
  if (existing?.Config?.Labels?.[RECIPE_LABEL] === digest) return false;

  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-image-'));
  try {
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(ctx, name), body, { mode: 0o755 });
    const stream = await docker.buildImage(
      { context: ctx, src: Object.keys(files) },
      { t: tag, labels: { [RECIPE_LABEL]: digest }, rm: true, forcerm: true },
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null, out: Array<{ error?: string }>) => {
          const failed = err?.message ?? out.find((o) => o.error)?.error;
          if (failed) reject(new Error(`building ${tag}: ${failed}`));
          else resolve();
        },
      ),
    );
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  return true;
}

export async function ensureDemoImages(docker = new Docker()): Promise<string[]> {
  const built: string[] = [];
  if (await ensureImage(docker, BASE_IMAGE, { Dockerfile: BASE_DOCKERFILE, busybox: fs.readFileSync('/bin/busybox') })) {
    built.push(BASE_IMAGE);
  }
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
