import type { Proposal } from '../../stores/proposal-store';
import { badge, esc, layout, short, type PageContext } from './console-pages';
import { describeChange } from './proposal-changes';
import type { ProposalFormOptions } from './proposals';
import { mayAct } from './operator-accounts';

/** The proposal pages (the console's "PRs"), server-rendered like the rest of the console. */

function state(p: Pick<Proposal, 'merged' | 'withdrawn' | 'gates'>): string {
  if (p.merged) return 'merged';
  if (p.withdrawn) return 'withdrawn';
  return p.gates.every((g) => g.verdict === 'passed') ? 'open' : 'refused';
}

export function proposalsPage(page: PageContext, list: Proposal[]): string {
  const start = mayAct(page.operator.role, 'operator') ? '<p><a class="button" href="/proposals/new">New proposal</a></p>' : '';
  const rows = list
    .map(
      (p) =>
        `<tr><th scope="row"><a href="/proposals/${p.id}">#${p.id}</a></th><td>${esc(p.title)}</td><td>${badge(state(p))}</td>` +
        `<td>${esc(p.proposer)}</td><td>${esc(p.approvals.map((a) => a.by).join(', ') || '–')}</td><td><time datetime="${esc(p.createdAt)}">${esc(p.createdAt)}</time></td></tr>`,
    )
    .join('');
  const table = list.length
    ? `<div class="scroll"><table><caption>Proposals</caption><thead><tr><th scope="col">#</th><th scope="col">Title</th><th scope="col">State</th><th scope="col">Proposed by</th><th scope="col">Approved by</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : '<p class="none">No proposals yet.</p>';
  return layout('Proposals', start + table, page, 'proposals');
}

function field(id: string, label: string, input: string, help?: string): string {
  return `<label for="${id}">${label}</label>${input}${help ? `<span id="${id}-help" class="help">${esc(help)}</span>` : ''}`;
}

export function newProposalPage(page: PageContext, o: ProposalFormOptions, error?: string): string {
  const hidden = (kind: string) => `<input type="hidden" name="csrf" value="${esc(page.csrf)}"><input type="hidden" name="kind" value="${kind}">`;
  const clusterOptions = o.clusters
    .map((c) => `<option value="${esc(c.id)}">${esc(c.id)} (wave ${esc(c.wave)}; ${esc(c.profiles.join(', '))})</option>`)
    .join('');
  const waveOptions = `<option value="">(unchanged)</option>${o.waves.map((w) => `<option value="${esc(w)}">${esc(w)}</option>`).join('')}`;
  const serviceOptions = o.services.map((s) => `<option value="${esc(s.name)}">${esc(s.name)} (${esc(s.image)})</option>`).join('');
  const cluster = `<section aria-labelledby="change-cluster"><h2 id="change-cluster">Change a cluster</h2>
<form method="post" action="/api/proposals" class="propose">${hidden('cluster')}
${field('c-title', 'Title', '<input id="c-title" name="title" required maxlength="120">')}
${field('c-cluster', 'Cluster', `<select id="c-cluster" name="cluster">${clusterOptions}</select>`)}
${field('c-wave', 'Wave', `<select id="c-wave" name="wave">${waveOptions}</select>`)}
${field('c-profiles', 'Profiles', '<input id="c-profiles" name="profiles" aria-describedby="c-profiles-help">', 'comma-separated, such as blockchain, sessions; empty: unchanged')}
${field('c-labels', 'Labels', '<input id="c-labels" name="labels" aria-describedby="c-labels-help">', 'key=value pairs, such as site=lab hardware=pi5, replacing all labels; empty: unchanged')}
<button type="submit">Propose</button></form></section>`;
  const image = `<section aria-labelledby="change-image"><h2 id="change-image">Change a service's image</h2>
<form method="post" action="/api/proposals" class="propose">${hidden('image')}
${field('i-title', 'Title', '<input id="i-title" name="title" required maxlength="120">')}
${field('i-service', 'Service', `<select id="i-service" name="service">${serviceOptions}</select>`)}
${field('i-image', 'Image', '<input id="i-image" name="image" required aria-describedby="i-image-help">', 'pinned by digest: registry/repository@sha256:…')}
<button type="submit">Propose</button></form></section>`;
  const env = `<section aria-labelledby="change-env"><h2 id="change-env">Change a cluster's .env value</h2>
<form method="post" action="/api/proposals" class="propose">${hidden('env')}
${field('e-title', 'Title', '<input id="e-title" name="title" required maxlength="120">')}
${field('e-cluster', 'Cluster', `<select id="e-cluster" name="cluster">${clusterOptions}</select>`)}
${field('e-key', 'Variable', '<input id="e-key" name="key" required autocomplete="off">')}
${field('e-value', 'Value', '<input id="e-value" name="value" autocomplete="off" aria-describedby="e-value-help">', 'literal, no spaces; never a secret: those stay enc:sops')}
<button type="submit">Propose</button></form></section>`;
  const secret = `<section aria-labelledby="change-secret"><h2 id="change-secret">Set a cluster's secret</h2>
<form method="post" action="/api/proposals" class="propose">${hidden('secret')}
${field('s-title', 'Title', '<input id="s-title" name="title" required maxlength="120">')}
${field('s-cluster', 'Cluster', `<select id="s-cluster" name="cluster">${clusterOptions}</select>`)}
${field('s-name', 'Secret', '<input id="s-name" name="name" required autocomplete="off">')}
${field(
  's-secret',
  'Value',
  // A textarea, masked, so a certificate or key keeps its line breaks (a password input drops them).
  '<textarea id="s-secret" name="secret" class="secret-value" rows="4" required autocomplete="off" spellcheck="false" aria-describedby="s-secret-help"></textarea>',
  "sealed at once to the cluster's age recipients (.sops.yaml) as secrets/<cluster>.d/<secret>.enc.yaml; never stored in clear",
)}
<button type="submit">Propose</button></form></section>`;
  const refused = error ? `<p class="error" role="alert">Not proposed: ${esc(error)}</p>` : '';
  const intro = `${refused}<p>Made on the head of the followed branch, ${short(o.base)}, as a commit of your own on a proposal branch; the gates run on it at once.</p>`;
  return layout('New proposal', intro + cluster + image + env + secret, page, 'proposals');
}

function diffBlock(diff: string): string {
  const lines = diff
    .split('\n')
    .map((l) => {
      const tone = l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : '';
      return tone ? `<span class="${tone}">${esc(l)}</span>` : esc(l);
    })
    .join('\n');
  return `<pre class="diff" tabindex="0">${lines}</pre>`;
}

function proposalActions(page: PageContext, p: Proposal): string {
  if (p.merged || p.withdrawn) return '';
  const button = (name: string, label: string) =>
    `<form method="post" action="/api/proposals/${p.id}/${name}"><input type="hidden" name="csrf" value="${esc(page.csrf)}"><button type="submit">${label}</button></form>`;
  const own: string[] = [];
  const me = page.operator.name;
  const approver = mayAct(page.operator.role, 'approver');
  if (approver && state(p) === 'open') {
    if (me !== p.proposer && !p.approvals.some((a) => a.by === me)) own.push(button('approve', 'Approve'));
    if (p.approvals.some((a) => a.by !== p.proposer)) own.push(button('merge', 'Merge'));
  }
  if (approver || (me === p.proposer && mayAct(page.operator.role, 'operator'))) own.push(button('withdraw', 'Withdraw'));
  return own.length ? `<section aria-labelledby="actions"><h2 id="actions">Actions</h2><div class="actions">${own.join('')}</div></section>` : '';
}

function refusal(p: Proposal): string {
  const failed = p.gates.find((g) => g.verdict === 'refused');
  return failed ? `<p class="error">Cannot be merged: the ${esc(failed.gate)} gate refused this commit.</p>` : '';
}

export function proposalPage(page: PageContext, p: Proposal): string {
  const gates = p.gates.map((g) => `<tr><th scope="row">${esc(g.gate)}</th><td>${badge(g.verdict)}</td><td>${esc(g.detail)}</td></tr>`).join('');
  const approvals = p.approvals.length
    ? `<ul>${p.approvals.map((a) => `<li>${esc(a.by)} at <time datetime="${esc(a.at)}">${esc(a.at)}</time></li>`).join('')}</ul>`
    : '<p class="none">No approvals yet: an approver other than the proposer approves.</p>';
  const merged = p.merged
    ? `<p>Merged by ${esc(p.merged.by)} at <time datetime="${esc(p.merged.at)}">${esc(p.merged.at)}</time>: <a href="/rollouts/${esc(p.commit)}">its rollout</a> (${esc(p.merged.rollout)}).</p>`
    : p.withdrawn
      ? `<p>Withdrawn by ${esc(p.withdrawn.by)} at <time datetime="${esc(p.withdrawn.at)}">${esc(p.withdrawn.at)}</time>.</p>`
      : '';
  return layout(
    `Proposal #${p.id}: ${p.title}`,
    `<p class="state">State ${badge(state(p))}</p>${merged}
<dl><dt>Proposed by</dt><dd>${esc(p.proposer)} at <time datetime="${esc(p.createdAt)}">${esc(p.createdAt)}</time></dd><dt>Change</dt><dd>${esc(describeChange(p.change))}</dd>
<dt>Branch</dt><dd><code>${esc(p.branch)}</code></dd><dt>Commit</dt><dd>${short(p.commit)}</dd><dt>Base</dt><dd>${short(p.base)}</dd></dl>
${proposalActions(page, p)}
<section aria-labelledby="gates"><h2 id="gates">Gates</h2>${refusal(p)}<div class="scroll"><table class="gates"><caption class="sr">Gate verdicts of ${short(p.commit)}</caption>
<thead><tr><th scope="col">Gate</th><th scope="col">Verdict</th><th scope="col">Detail</th></tr></thead><tbody>${gates}</tbody></table></div></section>
<section aria-labelledby="approvals"><h2 id="approvals">Approvals</h2>${approvals}</section>
<section aria-labelledby="diff"><h2 id="diff">Diff</h2>${diffBlock(p.diff)}</section>`,
    page,
    'proposals',
  );
}
