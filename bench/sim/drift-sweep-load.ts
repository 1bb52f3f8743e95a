import type { Client } from '@temporalio/client';
import type { DriftSweepResult } from '../../workflows/reconcile-types';
import { procUsage } from './proc-usage';

/**
 * --drift-sweep: every drift Schedule the rollout synced, triggered at once (as their intervals line up when a
 * fleet's Schedules are created together), until each sweep has closed: how long a whole-fleet pass takes, what it
 * costs the server and how big a sweep's history gets.
 */
export async function measureDriftSweep(client: Client, temporalPid: number, say: (line: string) => void): Promise<void> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith('drift-sweep.')) ids.push(s.scheduleId);
  const before = procUsage(temporalPid);
  const t0 = performance.now();
  const since = new Date().toISOString();
  await Promise.all(ids.map((id) => client.schedule.getHandle(id).trigger()));
  const query = `WorkflowType = 'driftSweep' AND StartTime >= '${since}'`;
  let sweeps: Array<{ workflowId: string; runId: string; historyLength: number }> = [];
  for (;;) {
    sweeps = [];
    let open = 0;
    for await (const wf of client.workflow.list({ query })) {
      sweeps.push({ workflowId: wf.workflowId, runId: wf.runId, historyLength: wf.historyLength });
      if (wf.status.name === 'RUNNING') open++;
    }
    if (sweeps.length === ids.length && open === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = procUsage(temporalPid).cpuSeconds - before.cpuSeconds;
  const totals = { checked: 0, corrected: 0, busy: 0, pending: 0, failed: 0 };
  for (const s of sweeps) {
    const r: DriftSweepResult = await client.workflow.getHandle(s.workflowId, s.runId).result();
    totals.checked += r.checked;
    totals.corrected += r.corrected.length;
    totals.busy += r.busy.length;
    totals.pending += r.pending.length;
    totals.failed += r.failed.length;
  }
  const biggest = Math.max(...sweeps.map((s) => s.historyLength));
  say(`DRIFT SWEEP (SIMULATION): ${ids.length} Schedules (${ids.join(', ')}) triggered at once, all closed in ${seconds.toFixed(1)} s`);
  say(`  clusters ${JSON.stringify(totals)}; biggest sweep history ${biggest} events; Temporal ${cpu.toFixed(1)} CPU s (${((cpu * 1000) / Math.max(1, totals.checked)).toFixed(0)} ms a check)`);
}
