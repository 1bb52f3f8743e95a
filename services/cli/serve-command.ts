import type { Command } from 'commander';
import { startRollout } from '../../triggers/rollout-trigger';
import { payloadKeys } from '../../config/payload-keys';
import { lucidDataConverter } from '../../workers/payload-codec';
import { consoleApp } from '../console/console-app';
import { operationsData } from '../console/operations-routes';
import { ConsoleData } from '../console/console-data';
import { OperatorAccounts, operatorsFile } from '../console/operator-accounts';
import { Proposals } from '../console/proposals';
import { consoleMetrics } from '../console-metrics';
import { readStackState } from '../stack/stack-state';
import type { ConsoleContext } from '../console-context';
import { createConsoleServer } from '../webhook/console-server';
import { pushSecretProblem } from '../webhook/push-signature';
import { CliExit, EXIT, say } from './cli-output';
import { COMMAND_INDEX } from './command-index';

/**
 * The console's HTTP side: `POST /hooks/git` starts `rollout-<sha>`, `GET /metrics` for Prometheus, and the
 * operators' console at `/` (its JSON under `/api/`) for the operators in <data dir>/console/operators.json.
 */
export function registerServeCommand(program: Command, run: (fn: (ctx: ConsoleContext) => Promise<number>) => void): void {
  program
    .command('serve')
    .description(COMMAND_INDEX.serve.description)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', '8780')
    .option('--branch <branch>', 'the config repo branch the fleet follows', 'main')
    .option('--public-url <url>', 'where operators reach the console (https: its cookies are Secure); default http://<host>:<port>')
    .action((o: { host: string; port: string; branch: string; publicUrl?: string }) =>
      run(async (ctx) => {
        const secret = process.env.LUCID_WEBHOOK_SECRET;
        if (!secret) throw new CliExit(EXIT.badInput, 'environment: LUCID_WEBHOOK_SECRET: is not set (the webhook HMAC secret)');
        const weak = pushSecretProblem(secret);
        if (weak) throw new CliExit(EXIT.badInput, `environment: LUCID_WEBHOOK_SECRET: ${weak}`);
        const accountsFile = operatorsFile(ctx.env.LUCID_DATA_DIR);
        // A broken file is a ConfigError naming file, field and reason: exit 2 before anything connects.
        const accounts = OperatorAccounts.load(accountsFile);
        const publicUrl = (o.publicUrl ?? `http://${o.host}:${o.port}`).replace(/\/+$/, '');
        if (!/^https?:\/\/[^/]/.test(publicUrl) || !URL.canParse(publicUrl)) throw new CliExit(EXIT.badInput, `--public-url: '${publicUrl}' is not an http:// or https:// URL`);
        const client = await ctx.temporal();
        const converter = lucidDataConverter(payloadKeys());
        const codecToken = process.env.LUCID_CODEC_TOKEN;
        if (converter && !codecToken) say('lucid serve: payloads are encrypted but LUCID_CODEC_TOKEN is unset: no /codec endpoint for the UI');
        // Anchoring's gauges only where a chain is configured; an unreachable one shows as such, it does not fail the scrape.
        const chain = (() => {
          try {
            return ctx.chainEndpoint();
          } catch {
            return undefined;
          }
        })();
        const temporalUi = process.env.LUCID_UI_ORIGIN ?? readStackState(ctx.env.LUCID_DATA_DIR)?.temporalUi;
        const app = consoleApp({
          // Read at each sign-in, so `lucid operator add` takes effect without a restart; a file broken since is refused then.
          accounts: { signIn: (name, password) => OperatorAccounts.load(accountsFile).signIn(name, password) },
          data: new ConsoleData(ctx, { codecs: converter?.payloadCodecs ?? [], temporalUi }),
          operations: operationsData(ctx),
          secureCookies: publicUrl.startsWith('https://'),
          publicOrigin: new URL(publicUrl).origin,
          proposals: new Proposals(ctx, { branch: o.branch }),
        });
        const registry = consoleMetrics(await ctx.db(), chain && (() => chain));
        const server = createConsoleServer({
          secret,
          branch: o.branch,
          onPush: (push) => startRollout(client, push.after, { source: 'webhook', by: push.pusher }),
          metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
          codec:
            converter && codecToken
              ? { codec: converter.payloadCodecs![0]!, token: codecToken, uiOrigin: process.env.LUCID_UI_ORIGIN ?? 'http://127.0.0.1:8233' }
              : undefined,
          app,
        });
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(o.port), o.host, resolve));
        say(`lucid serve: listening on http://${o.host}:${o.port} (POST /hooks/git, GET /metrics)`);
        say(
          accounts.size
            ? `lucid serve: console at ${publicUrl}/ for ${accounts.size} operator(s) in ${accountsFile}`
            : `lucid serve: console at ${publicUrl}/, but no operator can sign in: add one with \`lucid operator add <name> --role viewer|operator|approver\``,
        );
        await new Promise<void>((resolve) => {
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => resolve()));
        });
        return EXIT.ok;
      }),
    );
}
