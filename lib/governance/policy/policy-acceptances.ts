import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped, type PartitionFilter } from '../../data/documents.js';
import { problems } from '../../http/problem.js';
import type { ConsentSubject } from '../consent/consent-store.js';
import type { PolicyMeta, PolicyVersions } from './policy-versions.js';

export const policyStatusSchema = z.object({
  /** The version that governs this user now; null before any version is in force. */
  appliesVersion: z.string().nullable(),
  /** The version waiting for this user's acceptance, or null. */
  pendingVersion: z.string().nullable(),
});

export type PolicyStatus = z.infer<typeof policyStatusSchema>;

export const acceptanceReceiptSchema = z.object({
  version: z.string(),
  acceptedAt: z.string(),
  policy: policyStatusSchema,
});

interface Acceptance {
  version: string;
  at: string;
}

interface StoredAcceptances extends ConsentSubject {
  id: string;
  type: 'policy-acceptances';
  accepted: Acceptance[];
}

const WRITE_ATTEMPTS = 5;

/**
 * Which policy version governs each user (P18). A version that reduces rights governs a
 * user only once they accept it (or a later version, whose text includes it); until then
 * the version before it does. Acceptances are one document in the user's partition of
 * `consents`, read only when a rights-reducing version is in force.
 */
export class PolicyAcceptances {
  constructor(
    private readonly consents: Container,
    private readonly versions: PolicyVersions,
    private readonly clock: Clock,
  ) {}

  /** For callers without acceptances of their own (operators, unregistered identities). */
  async generalStatus(): Promise<PolicyStatus> {
    return { appliesVersion: (await this.versions.effective()).at(-1)?.version ?? null, pendingVersion: null };
  }

  async statusFor(subject: ConsentSubject): Promise<PolicyStatus> {
    const effective = await this.versions.effective();
    if (!effective.some((meta) => meta.reducesRights)) return { appliesVersion: effective.at(-1)?.version ?? null, pendingVersion: null };
    const stored = await this.read(subject);
    return statusOf(effective, await this.acceptedThrough(stored?.value.accepted ?? []));
  }

  async accept(subject: ConsentSubject, version: string): Promise<{ receipt: z.infer<typeof acceptanceReceiptSchema>; created: boolean }> {
    if (!(await this.versions.find(version))) {
      throw problems.validation([{ field: 'body/version', message: 'is not a published privacy-policy version' }]);
    }
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.read(subject);
      const already = current?.value.accepted.find((acceptance) => acceptance.version === version);
      if (already) return { receipt: await this.receipt(already, current?.value.accepted ?? []), created: false };
      const acceptance = { version, at: this.clock.now().toISOString() };
      const accepted = [...(current?.value.accepted ?? []), acceptance];
      const document: StoredAcceptances = { id: acceptancesId(subject), ...subject, type: 'policy-acceptances', accepted };
      try {
        if (current) {
          await this.consents.item(document.id, [subject.municipalityId, subject.userId]).replace(document, {
            accessCondition: { type: 'IfMatch', condition: current.etag },
          });
        } else {
          await this.consents.items.create(document);
        }
      } catch (error) {
        if (isCosmosStatus(error, 412) || isCosmosStatus(error, 409)) continue;
        throw error;
      }
      return { receipt: await this.receipt(acceptance, accepted), created: true };
    }
    throw problems.conflict('Your acceptances changed concurrently; try again');
  }

  private async receipt(acceptance: Acceptance, accepted: Acceptance[]) {
    return {
      version: acceptance.version,
      acceptedAt: acceptance.at,
      policy: statusOf(await this.versions.effective(), await this.acceptedThrough(accepted)),
    };
  }

  /** Accepting a version accepts every version before it: the latest effectiveFrom accepted. */
  private async acceptedThrough(accepted: Acceptance[]): Promise<string | null> {
    const catalog = await this.versions.catalog();
    let through: string | null = null;
    for (const { version } of accepted) {
      const effectiveFrom = catalog.find((meta) => meta.version === version)?.effectiveFrom;
      if (effectiveFrom !== undefined && (through === null || effectiveFrom > through)) through = effectiveFrom;
    }
    return through;
  }

  private read(subject: ConsentSubject) {
    return readTyped<StoredAcceptances>(this.consents, acceptancesId(subject), partitionOf(subject), 'policy-acceptances');
  }
}

/**
 * The version in force for a user: the latest one, unless a rights-reducing version the
 * user has not accepted came in force, in which case the version before that one.
 */
export function statusOf(effective: readonly PolicyMeta[], acceptedThrough: string | null): PolicyStatus {
  const latest = effective.at(-1);
  if (!latest) return { appliesVersion: null, pendingVersion: null };
  const blocking = effective.findIndex((meta) => meta.reducesRights && (acceptedThrough === null || meta.effectiveFrom > acceptedThrough));
  if (blocking === -1) return { appliesVersion: latest.version, pendingVersion: null };
  return { appliesVersion: effective[blocking - 1]?.version ?? null, pendingVersion: latest.version };
}

function partitionOf(subject: ConsentSubject): PartitionFilter {
  return [['municipalityId', subject.municipalityId], ['userId', subject.userId]];
}

/** Unique within the municipality: the emulator enforces id uniqueness on the first key level only. */
function acceptancesId(subject: ConsentSubject): string {
  return `policy-acceptances.${subject.userId}`;
}
