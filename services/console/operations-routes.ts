import { z } from 'zod';
import { isPayoutMonth, monthPaidAt } from '../../common/payout-month';
import { json, type Reply } from '../webhook/http-reply';
import { NoProofError } from '../session-proof';
import type { ConsoleContext } from '../console-context';
import { consoleCharts } from './chart-series';
import type { ChartSeries } from './chart-svg';
import { chartsPage } from './charts-page';
import { RequestError, html, parse, redirect } from './console-http';
import type { PageContext } from './console-pages';
import { mayAct, type Role } from './operator-accounts';
import { PayoutsData } from './payouts-data';
import { payoutsPage } from './payouts-page';
import { SessionsData } from './sessions-data';
import { sessionsPage } from './sessions-page';

/** What the sessions, payouts and charts pages read and do. */
export interface OperationsData {
  sessions: SessionsData;
  payouts: PayoutsData;
  charts: () => Promise<ChartSeries[]>;
}

export function operationsData(ctx: ConsoleContext): OperationsData {
  return {
    sessions: new SessionsData(ctx),
    payouts: new PayoutsData(ctx),
    charts: async () => consoleCharts({ clusters: await ctx.store(), rollouts: await ctx.rollouts() }),
  };
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PROOF_PATH = /^\/api\/sessions\/([^/]+)\/proof$/;
const PAYOUT_ACTION = /^\/api\/payouts\/([^/]+)\/(dry-run|approve)$/;
const PAYOUT_ROLES: Record<'dry-run' | 'approve', Role> = { 'dry-run': 'operator', approve: 'approver' };
const actionSchema = z.strictObject({ csrf: z.string().optional() });

function month(value: string | null, now = new Date()): string {
  if (value === null || value === '') return monthPaidAt(now);
  if (!isPayoutMonth(value)) throw new RequestError(400, 'month', `'${value}' is not a month (YYYY-MM)`);
  return value;
}

/** GET: the pages and their JSON under /api/; undefined for a path that is none of these. */
export async function operationsGet(data: OperationsData, path: string, query: URLSearchParams, page: PageContext): Promise<Reply | undefined> {
  const api = path.startsWith('/api/');
  if (path === '/sessions' || path === '/api/sessions') {
    const view = await data.sessions.view();
    return api ? json(200, view) : html(200, sessionsPage(page, view));
  }
  const proof = PROOF_PATH.exec(path);
  if (proof) {
    const sessionId = proof[1]!;
    if (!SESSION_ID.test(sessionId)) throw new RequestError(400, 'sessionId', `'${sessionId}' is not a session id`);
    const doc = await data.sessions.proof(sessionId).catch((err: Error) => {
      throw err instanceof NoProofError ? new RequestError(404, 'sessionId', err.message) : err;
    });
    return {
      ...json(200, doc),
      body: `${JSON.stringify(doc, null, 2)}\n`,
      headers: { 'content-disposition': `attachment; filename="session-${sessionId}.proof.json"` },
    };
  }
  if (path === '/payouts' || path === '/api/payouts') {
    const view = await data.payouts.month(month(query.get('month')));
    return api ? json(200, view) : html(200, payoutsPage(page, view));
  }
  if (path === '/charts' || path === '/api/charts') {
    const charts = await data.charts();
    return api ? json(200, charts) : html(200, chartsPage(page, charts));
  }
  return undefined;
}

/** POST (same origin and CSRF already checked): a payout's dry run or approval, carrying the operator. */
export async function operationsPost(
  data: OperationsData,
  path: string,
  page: PageContext,
  body: unknown,
  form: boolean,
): Promise<Reply | undefined> {
  const action = PAYOUT_ACTION.exec(path);
  if (!action) return undefined;
  const m = month(action[1]!);
  const name = action[2] as 'dry-run' | 'approve';
  parse(actionSchema, body);
  const { operator } = page;
  const needed = PAYOUT_ROLES[name];
  if (!mayAct(operator.role, needed)) throw new RequestError(403, 'role', `${operator.role} '${operator.name}' may not ${name} a payout: that needs the ${needed} role`);
  process.stderr.write(`${JSON.stringify({ console: `payout ${name}`, month: m, operator: operator.name })}\n`);
  const result = name === 'dry-run' ? await data.payouts.dryRun(m) : await data.payouts.approve(m, operator.name);
  return form ? redirect(`/payouts?month=${m}`) : json(200, result);
}
