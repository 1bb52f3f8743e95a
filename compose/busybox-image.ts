import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';

/**
 * A busybox-static rootfs FROM scratch, built on the host from its own
 * /bin/busybox: no registry is reachable from a cluster, and this image has
 * the shell and `nc` the plane probe needs. The demo's app images build on it.
 */
export const BUSYBOX_IMAGE = 'lucid-local/busybox:1.35';

const RECIPE_LABEL = 'com.lucid.recipe';

const BUSYBOX_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /data /www && chmod 1777 /tmp
`;

/**
 * Builds `tag` from these files unless the image already carries their
 * recipe digest, so every checkout and worker agrees on one build. Returns
 * whether it built.
 */
export async function ensureImage(docker: Docker, tag: string, files: Record<string, string | Buffer>): Promise<boolean> {
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

export function ensureBusyboxImage(docker: Docker): Promise<boolean> {
  return ensureImage(docker, BUSYBOX_IMAGE, { Dockerfile: BUSYBOX_DOCKERFILE, busybox: fs.readFileSync('/bin/busybox') });
}
