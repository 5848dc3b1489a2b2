import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import type { IdentityMemberships } from '../directory/identity-memberships.js';
import type { UserDirectory } from '../directory/users.js';
import { HttpProblem } from '../http/problem.js';
import { bulkStatuses, JOB_RETRY_BUDGET_MS } from '../usage/bulk.js';
import type { PlanOp } from './roster-plan.js';

export interface BatchOutcome {
  /** The writes that are in the directory now (made by this attempt or an earlier one), for the audit. */
  written: PlanOp[];
  /** The first status no rule here explains: the batch must be tried again, after what was written is audited. */
  unexpected?: number;
  /** Writes refused by the directory's state (changed or deleted meanwhile, identity taken): counted, not retried. */
  failed: number;
}

/**
 * Applies one batch of the plan: every document write of the batch in one bulk request to
 * the municipality's partition (throttled writes sent again, each write's status judged
 * alone), after the identity memberships of new staff (a membership first, as
 * `UserDirectory.create` does, so a crash leaves one that the retry takes over).
 * Each write is idempotent: a create already done answers 409, a replace already done
 * finds the document at the run's `updatedAt`; so a batch retried after a crash is harmless.
 */
export class RosterWriter {
  constructor(
    private readonly directory: Container,
    private readonly users: UserDirectory,
  ) {}

  async apply(municipalityId: string, ops: readonly PlanOp[]): Promise<BatchOutcome> {
    let failed = 0;
    const writable: PlanOp[] = [];
    for (const op of ops) {
      if (op.op !== 'create-user') {
        writable.push(op);
        continue;
      }
      if (await this.claimIdentity(this.users.memberships, op)) writable.push(op);
      else failed += 1;
    }
    if (writable.length === 0) return { written: [], failed };
    const operations: OperationInput[] = writable.map((op) =>
      op.op === 'replace'
        ? { operationType: 'Replace', id: op.doc.id, partitionKey: municipalityId, resourceBody: op.doc as unknown as JSONObject, ifMatch: op.etag }
        : { operationType: 'Create', partitionKey: municipalityId, resourceBody: op.doc as unknown as JSONObject },
    );
    // One request, sent at once (bulkStatuses: not executeBulkOperations, which waits a second for a partial batch).
    const statuses = await bulkStatuses(this.directory, operations, JOB_RETRY_BUDGET_MS);
    const written: PlanOp[] = [];
    let unexpected: number | undefined;
    for (const [index, status] of statuses.entries()) {
      const op = writable[index];
      if (!op) continue;
      if (status < 300) written.push(op);
      else if (status === 409 && op.op !== 'replace') written.push(op);
      else if (status === 412 && op.op === 'replace' && (await this.alreadyApplied(municipalityId, op.doc))) written.push(op);
      // 404: deleted since it was planned (an erasure): nothing to bring in step, and retrying would fail every resume.
      else if (status === 412 || status === 409 || (status === 404 && op.op === 'replace')) failed += 1;
      else unexpected ??= status;
    }
    return { written, failed, ...(unexpected === undefined ? {} : { unexpected }) };
  }

  /** A new staff user's identity: taken unless a live other user of this municipality holds it. */
  private async claimIdentity(memberships: IdentityMemberships, op: Extract<PlanOp, { op: 'create-user' }>): Promise<boolean> {
    const { doc } = op;
    try {
      await memberships.claim(doc.identity, { userId: doc.id, municipalityId: doc.municipalityId, createdAt: doc.createdAt }, async (held) =>
        held.userId !== doc.id && (await this.users.findUser(held.municipalityId, held.userId)) !== undefined,
      );
      return true;
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 409) return false;
      throw error;
    }
  }

  /** A replace that a crashed attempt already made has left the run's `updatedAt` on the document. */
  private async alreadyApplied(municipalityId: string, doc: { id: string }): Promise<boolean> {
    const { resource } = await this.directory.item(doc.id, municipalityId).read<{ updatedAt?: string }>();
    return resource?.updatedAt === (doc as { updatedAt?: string }).updatedAt;
  }
}
