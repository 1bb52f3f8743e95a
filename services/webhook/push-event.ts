import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { FULL_SHA_PATTERN, FULL_SHA_RULE } from '../../common/input-ids';
import { fieldPath } from '../../config/config-files';

export type PushProvider = 'github' | 'gitea';

/** A push the console may act on, reduced to what GitHub and Gitea payloads have in common. */
export interface PushEvent {
  provider: PushProvider;
  ref: string;
  /** `ref` without `refs/heads/`; undefined for tags and other refs. */
  branch: string | undefined;
  after: string;
  before?: string;
  deleted: boolean;
  pusher?: string;
  repository?: string;
}

/** A delivery the console cannot read. Names the header or payload field and why, for the git server's delivery log. */
export class PushEventError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`push event: ${field}: ${reason}`);
    this.name = 'PushEventError';
  }

  toJSON(): { field: string; reason: string } {
    return { field: this.field, reason: this.reason };
  }
}

/**
 * Gitea also sends X-GitHub-Event for compatibility, so its own headers are checked first;
 * Gogs sends only X-Gogs-Event and the same payload shape as Gitea.
 */
const EVENT_HEADERS = [
  { header: 'X-Gitea-Event', provider: 'gitea' },
  { header: 'X-Gogs-Event', provider: 'gitea' },
  { header: 'X-GitHub-Event', provider: 'github' },
] as const;

export interface WebhookEvent {
  provider: PushProvider;
  /** `push`, `ping`, `issues`, … as the server names it. */
  name: string;
  /** The header it came from, for errors. */
  header: string;
}

/** Which server sent the delivery and which event it is, before the body is looked at. */
export function webhookEvent(headers: IncomingHttpHeaders): WebhookEvent {
  for (const { header, provider } of EVENT_HEADERS) {
    const name = headers[header.toLowerCase()];
    if (typeof name === 'string' && name !== '') return { provider, name, header };
  }
  throw new PushEventError(
    'X-GitHub-Event',
    'missing: a GitHub or Gitea webhook names its event in X-GitHub-Event or X-Gitea-Event',
  );
}

const ZERO_SHA = '0'.repeat(40);

// `after` becomes a git argument and the rollout's workflow id: the same rule as every other commit input.
const shaSchema = z.string().regex(FULL_SHA_PATTERN, FULL_SHA_RULE);

/** Only the fields the console reads; both servers send many more, which are dropped. */
const pushPayloadSchema = z.object({
  ref: z.string().regex(/^refs\/\S+$/, "must be a full ref such as 'refs/heads/main'"),
  after: shaSchema,
  before: shaSchema.optional(),
  deleted: z.boolean().optional(),
  // GitHub's pusher has a name, Gitea's a login; sender.login is the account on both.
  pusher: z.object({ name: z.string().optional(), login: z.string().optional() }).optional(),
  sender: z.object({ login: z.string().optional() }).optional(),
  repository: z.object({ full_name: z.string().optional() }).optional(),
});

export function parsePushEvent(headers: IncomingHttpHeaders, rawBody: Buffer): PushEvent {
  const event = webhookEvent(headers);
  if (event.name !== 'push') throw new PushEventError(event.header, `event '${event.name}' is not a push`);
  const result = pushPayloadSchema.safeParse(parseJsonBody(headers, rawBody));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new PushEventError(issue.path.length > 0 ? fieldPath(issue.path) : '(body)', issue.message);
  }
  const p = result.data;
  return {
    provider: event.provider,
    ref: p.ref,
    branch: p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : undefined,
    after: p.after,
    before: p.before,
    deleted: p.after === ZERO_SHA || p.deleted === true,
    // Gitea leaves unset names as empty strings, so `||` rather than `??`.
    pusher: p.pusher?.name || p.pusher?.login || p.sender?.login || undefined,
    repository: p.repository?.full_name || undefined,
  };
}

function parseJsonBody(headers: IncomingHttpHeaders, rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch (err) {
    const type = headers['content-type'];
    // GitHub offers form encoding (its default for new webhooks), which is the usual cause.
    const hint =
      type && !/^application\/json\b/i.test(type)
        ? ` (sent as '${type}'; set the webhook content type to application/json)`
        : '';
    throw new PushEventError('(body)', `not valid JSON: ${(err as Error).message}${hint}`);
  }
}
