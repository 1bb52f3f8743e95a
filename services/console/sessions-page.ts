import { replicaName } from '../../workflows/replication-types';
import type { AnchorStatus } from '../anchor-status';
import { badge, esc, layout, short, type PageContext } from './console-pages';
import type { SessionRow, SessionsView } from './sessions-data';

function when(iso: string): string {
  return `<time datetime="${esc(iso)}">${esc(iso)}</time>`;
}

function anchoringSummary(a: AnchorStatus | null): string {
  if (!a) return '<p class="none">No chain is configured for this stack (LUCID_CHAIN_RPC): sessions are not anchored.</p>';
  const failed = a.failed.length
    ? `<ul>${a.failed.map((f) => `<li>${badge('refused')} batch <code>${esc(f.batchId)}</code>: ${esc(f.reason)} (<code>lucid anchor retry ${esc(f.batchId)}</code> once fixed)</li>`).join('')}</ul>`
    : '';
  const last = a.lastBatch
    ? `batch ${short(a.lastBatch.id)}, ${a.lastBatch.count} session${a.lastBatch.count === 1 ? '' : 's'}, tx ${short(a.lastBatch.txHash)}, block ${a.lastBatch.block}`
    : '<span class="none">none yet</span>';
  const seconds = (v: number | null) => (v === null ? '<span class="none">none</span>' : `${v} s`);
  return `<dl><dt>Waiting to be anchored</dt><dd>${a.pending}</dd><dt>Last batch</dt><dd>${last}</dd>
<dt>Chain head</dt><dd>${a.chainHead ?? `<span class="error">${esc(a.chainError ?? 'unknown')}</span>`}</dd><dt>Indexer at block</dt><dd>${a.indexerBlock}</dd>
<dt>Anchor latency</dt><dd>p50 ${seconds(a.latencySeconds.p50)}, p95 ${seconds(a.latencySeconds.p95)}</dd></dl>${failed}`;
}

function anchorCell(s: SessionRow): string {
  const a = s.anchor;
  if (a.state === 'anchored') return `${badge('anchored')} batch ${short(a.batchId)}, tx ${short(a.txHash)}, block ${a.blockNumber}`;
  if (a.state === 'sealed') return `${badge(a.refused ? 'refused' : 'sealed')} batch ${short(a.batchId)}${a.refused ? `: ${esc(a.refused)}` : ''}`;
  return a.state === 'queued' ? badge('queued') : '<span class="none">nothing to anchor</span>';
}

function copiesCell(s: SessionRow): string {
  const copies = ['node', ...s.replicas.map((r) => `${replicaName(r)} (${r.chunks}/${s.chunks})`)].map((c) => `<li>${esc(c)}</li>`).join('');
  const r = s.replication;
  const progress = r && !r.done ? `<p>${badge('replicating')} ${r.replicated}/${r.journaled} chunks copied${r.failure ? `: <span class="error">${esc(r.failure)}</span>` : ''}</p>` : '';
  return `<ul class="services">${copies}</ul>${progress}`;
}

function integrityCell(s: SessionRow): string {
  const state = s.incidents > 0 ? `${badge('damaged')} ${s.incidents} incident${s.incidents === 1 ? '' : 's'} (<code>lucid session verify ${esc(s.sessionId)}</code>)` : badge('intact');
  const checked = s.copiesCheckedAt ? `<br>copies checked ${when(s.copiesCheckedAt)}` : '';
  const failure = s.failure ? `<br><span class="error">${esc(s.failure)}</span>` : '';
  return state + checked + failure;
}

function sessionRow(s: SessionRow): string {
  const proof =
    s.anchor.state === 'anchored'
      ? `<a href="/api/sessions/${esc(s.sessionId)}/proof" download="session-${esc(s.sessionId)}.proof.json" aria-label="Proof of session ${esc(s.sessionId)}">Proof</a>`
      : '<span class="none">not anchored yet</span>';
  return `<tr><th scope="row"><code title="${esc(s.sessionId)}">${esc(s.sessionId.slice(0, 8))}</code>${s.cancelled ? ` ${badge('stopped')}` : ''}</th><td>${esc(s.nodeId)}</td>
<td>${when(s.startedAt)}</td><td>${s.chunks}</td><td>${s.bytes}</td><td>${integrityCell(s)}</td><td>${anchorCell(s)}</td><td>${copiesCell(s)}</td><td>${proof}</td></tr>`;
}

/** Recorded sessions with their integrity, anchoring and copies, and each anchored one's proof to download. */
export function sessionsPage(page: PageContext, view: SessionsView): string {
  const table = view.sessions.length
    ? `<div class="scroll"><table><caption>Sessions, newest first</caption><thead><tr><th scope="col">Session</th><th scope="col">Node</th><th scope="col">Started</th>
<th scope="col">Chunks</th><th scope="col">Bytes</th><th scope="col">Integrity</th><th scope="col">Anchor</th><th scope="col">Copies</th><th scope="col">Proof</th></tr></thead>
<tbody>${view.sessions.map(sessionRow).join('')}</tbody></table></div>`
    : '<p class="none">No session recorded yet.</p>';
  return layout(
    'Sessions',
    `<section aria-labelledby="anchoring"><h2 id="anchoring">Anchoring</h2>${anchoringSummary(view.anchoring)}</section>
<section aria-labelledby="recorded"><h2 id="recorded">Recorded sessions</h2>
<p class="help">Integrity is what reads and the repair sweep's copy checks recorded; <code>lucid session verify</code> reads every chunk again. A proof is the document <code>lucid session proof</code> writes; check it with <code>lucid proof verify</code>.</p>${table}</section>`,
    page,
    'sessions',
  );
}
