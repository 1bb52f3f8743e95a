import { z } from 'zod';
import { ProposalRefused } from '../../repo/proposal-branch';
import { json, type Reply } from '../webhook/http-reply';
import { RequestError, html, parse, redirect } from './console-http';
import type { PageContext } from './console-pages';
import { mayAct, type OperatorAccount, type Role } from './operator-accounts';
import { proposalFormSchema } from './proposal-changes';
import { newProposalPage, proposalPage, proposalsPage } from './proposal-pages';
import { ProposalActionRefused, type Proposals } from './proposals';

const ONE = /^\/(api\/)?proposals\/(\d{1,9})$/;
const ACTION = /^\/api\/proposals\/(\d{1,9})\/(approve|merge|withdraw)$/;
const actionSchema = z.strictObject({ csrf: z.string().optional() });

/** The console's proposal pages and API; undefined for a path that is none of theirs. */
export function proposalRoutes(proposals: Proposals) {
  const refusals = async <T>(run: () => Promise<T>): Promise<T> =>
    run().catch((err: unknown) => {
      if (err instanceof ProposalActionRefused) throw new RequestError(err.status, err.field, err.reason);
      if (err instanceof ProposalRefused) throw new RequestError(409, err.field, err.reason);
      throw err;
    });

  const get = async (path: string, page: PageContext): Promise<Reply | undefined> => {
    const api = path.startsWith('/api/');
    if (path === '/proposals' || path === '/api/proposals') {
      const list = await proposals.list();
      return api ? json(200, list) : html(200, proposalsPage(page, list));
    }
    if (path === '/proposals/new') {
      need(page.operator, 'operator', 'propose a change');
      return html(200, newProposalPage(page, await proposals.formOptions()));
    }
    const one = ONE.exec(path);
    if (!one) return undefined;
    const p = await refusals(() => proposals.get(Number(one[2])));
    return api ? json(200, p) : html(200, proposalPage(page, p));
  };

  const post = async (path: string, page: PageContext, body: unknown, form: boolean): Promise<Reply | undefined> => {
    const { operator } = page;
    if (path === '/api/proposals') {
      need(operator, 'operator', 'propose a change');
      try {
        const { title, change } = parse(proposalFormSchema, body);
        const p = await refusals(() => proposals.propose(operator.name, title, change));
        return form ? redirect(`/proposals/${p.id}`) : json(201, p);
      } catch (err) {
        // From the form, the form again with the reason, rather than the API's JSON.
        if (!form || !(err instanceof RequestError)) throw err;
        return html(err.status, newProposalPage(page, await proposals.formOptions(), `${err.field}: ${err.reason}`));
      }
    }
    const action = ACTION.exec(path);
    if (!action) return undefined;
    const id = Number(action[1]);
    const name = action[2] as 'approve' | 'merge' | 'withdraw';
    parse(actionSchema, body);
    if (name === 'withdraw') {
      // The proposer withdraws their own; someone else's takes the approver role.
      need(operator, 'operator', 'withdraw a proposal');
      if ((await refusals(() => proposals.get(id))).proposer !== operator.name) need(operator, 'approver', "withdraw someone else's proposal");
    } else need(operator, 'approver', `${name} a proposal`);
    const p = await refusals(() => proposals[name](id, operator.name));
    return form ? redirect(`/proposals/${p.id}`) : json(200, p);
  };

  return { get, post };
}

function need(operator: OperatorAccount, role: Role, what: string): void {
  if (!mayAct(operator.role, role)) throw new RequestError(403, 'role', `${operator.role} '${operator.name}' may not ${what}: that needs the ${role} role`);
}
