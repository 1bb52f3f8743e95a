import { formatTokenAmount } from '../../common/token-amount';
import type { PayoutPlan, PayoutStatus } from '../../workflows/payout-types';
import { badge, esc, layout, type PageContext } from './console-pages';
import { mayAct } from './operator-accounts';
import type { PayoutMonthView } from './payouts-data';

type Token = PayoutPlan['token'] | undefined;

function amount(units: string, token: Token): string {
  return esc(token ? `${formatTokenAmount(BigInt(units), token.decimals)} ${token.symbol}` : `${units} base units`);
}

function list(items: string[], empty: string): string {
  return items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : `<p class="none">${empty}</p>`;
}

function actionButton(page: PageContext, action: string, label: string): string {
  return `<form method="post" action="${esc(action)}"><input type="hidden" name="csrf" value="${esc(page.csrf)}"><button type="submit">${esc(label)}</button></form>`;
}

/** The statement: every node's line, what it earned, carried in and out, and why. */
function statementTable(plan: PayoutPlan, caption: string): string {
  const rows = plan.nodes
    .map(
      (n) => `<tr><th scope="row">${esc(n.node)}</th><td><code>${esc(n.address)}</code></td><td>${n.sessions}</td><td>${n.unpaid}</td>
<td>${amount(n.earned, plan.token)}</td><td>${amount(n.carryIn, plan.token)}</td><td>${amount(n.carryOut, plan.token)}</td><td>${amount(n.amount, plan.token)}</td><td>${esc(n.reasons.join(', '))}</td></tr>`,
    )
    .join('');
  return `<div class="scroll"><table><caption>${esc(caption)}</caption><thead><tr><th scope="col">Node</th><th scope="col">Address</th><th scope="col">Sessions</th>
<th scope="col">Unpaid sessions</th><th scope="col">Earned</th><th scope="col">Carried in</th><th scope="col">Carried over</th><th scope="col">Paid</th><th scope="col">Reasons</th></tr></thead>
<tbody>${rows}</tbody></table></div><p>Total ${amount(plan.total, plan.token)} in ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'} on ${esc(plan.chain)}; approvals needed: ${plan.approvalsNeeded}${plan.approvers.length ? ` (approvers: ${esc(plan.approvers.join(', '))})` : ''}.</p>`;
}

function payoutSection(page: PageContext, view: PayoutMonthView, p: PayoutStatus): string {
  const approvable = (p.state === 'held' || p.state === 'awaiting-approval') && mayAct(page.operator.role, 'approver');
  return `<p class="state">State ${badge(p.state)}, total ${amount(p.total, p.token)}${p.error ? ` <span class="error">${esc(p.error)}</span>` : ''}</p>
<h3>Holds</h3>${list(p.holdReasons.map(esc), 'No hold.')}
<h3>Approvals</h3>${list(p.approvals.map((a) => `${esc(a.by)} at <time datetime="${esc(a.at)}">${esc(a.at)}</time>`), 'No approval yet.')}
${approvable ? `<div class="actions">${actionButton(page, `/api/payouts/${view.month}/approve`, `Approve the ${view.month} payout as ${page.operator.name}`)}</div>` : ''}
<h3>Transactions</h3>${list(p.txs.map((t) => `<code>${esc(t)}</code>`), 'None sent.')}
${view.statement ? statementTable(view.statement, `Sealed statement of ${view.month}`) : ''}`;
}

function dryRunSection(view: PayoutMonthView): string {
  const d = view.dryRun;
  if (!d) return `<p class="none">No dry run of ${esc(view.month)} yet.</p>`;
  const sims = d.simulations.map((s) =>
    s.ok ? `${badge('passed')} batch <code>${esc(s.batchId)}</code>, gas ${esc(s.gas)}` : `${badge('refused')} batch <code>${esc(s.batchId)}</code>: ${esc(s.reason)}: ${esc(s.message)}`,
  );
  return `<p class="state">Dry run ${badge(d.passed ? 'passed' : 'failed')} at <time datetime="${esc(d.at)}">${esc(d.at)}</time>; nothing was signed.</p>
${statementTable(d.plan, `Dry-run statement of ${view.month}`)}
<h3>Holds the payout would meet</h3>${list(d.plan.holdReasons.map(esc), 'No hold.')}
<h3>Batches simulated on chain</h3>${list(sims, 'No batch to simulate.')}`;
}

/** A month's payout: its status, holds and approvals, its sealed statement and its last dry run. */
export function payoutsPage(page: PageContext, view: PayoutMonthView): string {
  const payout = view.payout
    ? payoutSection(page, view, view.payout)
    : `<p class="none">No payout of ${esc(view.month)} has started (the monthly Schedule, or <code>lucid payout run --month ${esc(view.month)}</code>).</p>`;
  const dryRunButton = mayAct(page.operator.role, 'operator') ? `<div class="actions">${actionButton(page, `/api/payouts/${view.month}/dry-run`, `Dry run ${view.month}`)}</div>` : '';
  return layout(
    `Payouts ${view.month}`,
    `<form method="get" action="/payouts" class="filter"><label for="month">Month</label>
<input id="month" name="month" value="${esc(view.month)}" pattern="\\d{4}-\\d{2}" aria-describedby="month-help" required>
<button type="submit">Show</button><span id="month-help" class="help">YYYY-MM, such as 2026-11</span></form>
<section aria-labelledby="payout"><h2 id="payout">Payout</h2>${payout}</section>
<section aria-labelledby="dry-run"><h2 id="dry-run">Dry run</h2>${dryRunButton}${dryRunSection(view)}</section>`,
    page,
    'payouts',
  );
}
