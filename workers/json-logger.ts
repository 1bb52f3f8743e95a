import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogEntry } from '@temporalio/worker';

/** One JSON object per line on stderr; stdout stays free for command output. */
export function writeJsonLog(entry: { level: string; message: string; meta?: Record<string, unknown> }): void {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level: entry.level, msg: entry.message, ...entry.meta })}\n`);
}

/** Core's own warnings (a poll retried while the console is away) are forwarded too, so every line is JSON. */
export function installJsonLogger(): void {
  Runtime.install({
    logger: new DefaultLogger('INFO', (e: LogEntry) => writeJsonLog({ level: e.level, message: e.message, meta: e.meta })),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}
