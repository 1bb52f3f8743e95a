import type { RolloutStatus } from '../../workflows/rollout-types';
import type { FleetCluster, FleetView, RolloutDetail } from './console-data';
import { mayAct, type OperatorAccount } from './operator-accounts';

/** Server-rendered pages: readable without JavaScript; console.js only refreshes a running rollout. */
export interface PageContext {
  operator: OperatorAccount;
  csrf: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function short(sha: string | null | undefined): string {
  return sha ? `<code title="${esc(sha)}">${esc(sha.slice(0, 12))}</code>` : '<span class="none">none</span>';
}

/** A state as a word and a colour: the word alone carries it, for screen readers and colour-blind eyes. */
export function badge(state: string): string {
  const tone = /^(healthy|succeeded|reachable|anchored|passed|merged|paid|intact)$/.test(state)
    ? 'good'
    : /^(unhealthy|halted|aborted|failed|rolled_back|invalid|unreachable|reverted|stopped|refused|held|damaged)$/.test(state)
      ? 'bad'
      : /^(waiting|running|soaking|reconciling|pending|paused|queued|sealed|awaiting-approval|previewing|submitting|replicating)$/.test(state)
        ? 'busy'
        : 'plain';
  return `<span class="badge ${tone}">${esc(state.replace('_', ' '))}</span>`;
}

export function layout(
  title: string,
  body: string,
  page?: PageContext,
  current?: 'fleet' | 'rollouts' | 'proposals' | 'sessions' | 'payouts' | 'charts',
): string {
  const link = (href: string, name: typeof current, label: string) => `<a href="${href}"${current === name ? ' aria-current="page"' : ''}>${label}</a>`;
  const nav = page
    ? `<nav aria-label="Console">${link('/', 'fleet', 'Fleet')}${link('/rollouts', 'rollouts', 'Rollouts')}${link('/proposals', 'proposals', 'Proposals')}` +
      `${link('/sessions', 'sessions', 'Sessions')}${link('/payouts', 'payouts', 'Payouts')}${link('/charts', 'charts', 'Charts')}</nav>` +
      `<form method="post" action="/signout" class="who"><span>${esc(page.operator.name)} (${esc(page.operator.role)})</span>` +
      `<input type="hidden" name="csrf" value="${esc(page.csrf)}"><button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Lucid</title><link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a><header><span class="brand">Lucid</span>${nav}</header>
<main id="main" tabindex="-1"><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function signInPage(opts: { csrf: string; error?: string; name?: string }): string {
  const error = opts.error ? `<p class="error" role="alert" id="signin-error">${esc(opts.error)}</p>` : '';
  const described = opts.error ? ' aria-describedby="signin-error"' : '';
  return layout(
    'Sign in',
    `${error}<form method="post" action="/signin" class="signin">
<input type="hidden" name="csrf" value="${esc(opts.csrf)}">
<label for="name">Operator name</label><input id="name" name="name" autocomplete="username" required value="${esc(opts.name ?? '')}"${described}>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit">Sign in</button></form>`,
  );
}

function clusterCard(c: FleetCluster): string {
  const services = c.services.length
    ? `<ul class="services">${c.services.map((s) => `<li>${esc(s.name)} ${badge(s.health === 'none' ? s.state : s.health)}</li>`).join('')}</ul>`
    : '<p class="none">no services recorded yet</p>';
  const labels = Object.entries(c.labels)
    .map(([k, v]) => `<span class="label">${esc(k)}=${esc(v)}</span>`)
    .join(' ');
  return `<article class="cluster" aria-labelledby="cluster-${esc(c.id)}">
<h4 id="cluster-${esc(c.id)}">${esc(c.id)} ${badge(c.health === 'unknown' ? 'unknown' : c.health)} ${badge(c.reachable ? 'reachable' : 'unreachable')}</h4>
<dl><dt>Desired</dt><dd>${short(c.desiredCommit)}</dd><dt>Applied</dt><dd>${short(c.appliedCommit)}</dd>
<dt>Last good</dt><dd>${short(c.lastGoodCommit)}</dd>
<dt>Last drift correction</dt><dd>${c.lastDriftCorrection ? `<time datetime="${esc(c.lastDriftCorrection)}">${esc(c.lastDriftCorrection)}</time>` : '<span class="none">none</span>'}</dd>
<dt>Profiles</dt><dd>${esc(c.profiles.join(', '))}</dd><dt>Labels</dt><dd>${labels || '<span class="none">none</span>'}</dd></dl>
${services}</article>`;
}

export function fleetPage(page: PageContext, view: FleetView): string {
  const filter = Object.entries(view.labelFilter)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const waves = view.waves
    .map((w) => {
      const groups = w.groups.length
        ? w.groups.map((g) => `<section class="group"><h3>Group ${esc(g.name)}</h3><div class="cards">${g.clusters.map(clusterCard).join('')}</div></section>`).join('')
        : '<p class="none">no cluster in this wave matches</p>';
      return `<section class="wave" aria-labelledby="wave-${esc(w.name)}"><h2 id="wave-${esc(w.name)}">Wave ${esc(w.name)}</h2>${groups}</section>`;
    })
    .join('');
  return layout(
    'Fleet',
    `<p>Inventory at ${short(view.commit.sha)} <q>${esc(view.commit.subject)}</q>.</p>
<form method="get" action="/" class="filter"><label for="label">Filter by label</label>
<input id="label" name="label" placeholder="site=lab" value="${esc(filter)}" aria-describedby="label-help">
<button type="submit">Filter</button><span id="label-help" class="help">key=value, such as site=lab or hardware=pi5</span></form>${waves}`,
    page,
    'fleet',
  );
}

function rolloutRow(s: RolloutStatus): string {
  return `<tr><th scope="row"><a href="/rollouts/${esc(s.commit)}">${esc(s.commit.slice(0, 12))}</a></th><td>${badge(s.paused ? 'paused' : s.state)}</td>
<td>${s.waves.map((w) => `${esc(w.name)} ${badge(w.state)}`).join(' ')}</td><td><time datetime="${esc(s.startedAt)}">${esc(s.startedAt)}</time></td>
<td>${esc(s.trigger ? `${s.trigger.source}${s.trigger.by ? ` by ${s.trigger.by}` : ''}` : '')}</td></tr>`;
}

export function rolloutsPage(page: PageContext, list: RolloutStatus[]): string {
  const running = list.filter((s) => s.state === 'running' || s.state === 'waiting');
  const ended = list.filter((s) => !running.includes(s));
  const table = (caption: string, rows: RolloutStatus[]) =>
    rows.length
      ? `<div class="scroll"><table><caption>${caption}</caption><thead><tr><th scope="col">Commit</th><th scope="col">State</th><th scope="col">Waves</th><th scope="col">Started</th><th scope="col">Trigger</th></tr></thead><tbody>${rows.map(rolloutRow).join('')}</tbody></table></div>`
      : `<p class="none">${caption}: none</p>`;
  return layout('Rollouts', table('Running', running) + table('Recent', ended), page, 'rollouts');
}

function actions(page: PageContext, d: RolloutDetail): string {
  const s = d.status;
  if (s.state !== 'running' && s.state !== 'waiting') return '';
  const button = (name: string, label: string) =>
    `<form method="post" action="/api/rollouts/${esc(s.commit)}/${name}"><input type="hidden" name="csrf" value="${esc(page.csrf)}">` +
    `<button type="submit" name="reason" value="from the console">${label}</button></form>`;
  const own: string[] = [];
  if (mayAct(page.operator.role, 'operator')) own.push(s.paused ? button('resume', 'Resume') : button('pause', 'Pause'), button('abort', 'Abort'));
  if (mayAct(page.operator.role, 'approver') && /approval/.test(s.waitingFor ?? '')) own.push(button('approve', 'Approve next wave'));
  return own.length ? `<section aria-labelledby="actions"><h2 id="actions">Actions</h2><div class="actions">${own.join('')}</div></section>` : '';
}

export function rolloutPage(page: PageContext, d: RolloutDetail): string {
  const s = d.status;
  const waves = s.waves
    .map((w) => {
      const rows = w.clusters.map((c) => `<tr><th scope="row">${esc(c.id)}</th><td>${badge(c.state)}</td><td>${short(c.commit)}</td></tr>`).join('');
      const counts = w.counts ? `<p>${w.total} cluster${w.total === 1 ? '' : 's'}: ${Object.entries(w.counts).map(([k, n]) => `${n} ${esc(k)}`).join(', ')}</p>` : '';
      return `<section class="wave"><h3>Wave ${esc(w.name)} ${badge(w.state)}</h3>${counts}<div class="scroll"><table><caption class="sr">Clusters of wave ${esc(w.name)}</caption>
<thead><tr><th scope="col">Cluster</th><th scope="col">Outcome</th><th scope="col">Commit</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
    })
    .join('');
  const timeline = d.timeline.map((e) => `<li><time datetime="${esc(e.at)}">${esc(e.at)}</time> ${esc(e.what)}</li>`).join('');
  const live = s.state === 'running' || s.state === 'waiting';
  const ui = d.temporalUi ? `<p><a href="${esc(d.temporalUi)}" rel="noreferrer">Workflow ${esc(d.workflowId)} in the Temporal UI</a></p>` : `<p>Workflow <code>${esc(d.workflowId)}</code></p>`;
  return layout(
    `Rollout ${s.commit.slice(0, 12)}`,
    `<div id="live" aria-live="polite"${live ? ` data-poll="/api/rollouts/${esc(s.commit)}"` : ''}>
<p class="state">State ${badge(s.paused ? 'paused' : s.state)}${s.waitingFor ? ` waiting for ${esc(s.waitingFor)}` : ''}</p>
${s.reasons.map((r) => `<p class="error">${esc(r)}</p>`).join('')}${ui}${actions(page, d)}
<section aria-labelledby="waves"><h2 id="waves">Waves</h2>${waves}</section>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2><ol class="timeline">${timeline}</ol></section></div>`,
    page,
    'rollouts',
  );
}
