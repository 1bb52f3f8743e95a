import { Context } from '@temporalio/activity';

const HEARTBEAT_EVERY_MS = 1000;

/**
 * Heartbeats while `work` runs. A worker that dies in the middle (in a `git
 * fetch` that hangs, say) then shows within the activity's heartbeat timeout
 * and the work is retried elsewhere, instead of holding the workflow until
 * the start-to-close timeout. The SDK throttles what reaches the server.
 */
export async function heartbeatWhile<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
