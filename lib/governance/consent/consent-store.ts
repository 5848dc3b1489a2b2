import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped, type PartitionFilter } from '../../data/documents.js';
import { HttpProblem, problems } from '../../http/problem.js';
import type { Page } from '../../paging/continuation.js';
import type { ContinuationSealer } from '../../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../../paging/query-page.js';
import { CONSENT_PURPOSES, consentPurposeSchema, type ConsentPurpose } from './purposes.js';

/** A registered staff user: consent is theirs, recorded in their own partition. */
export interface ConsentSubject {
  municipalityId: string;
  userId: string;
}

export interface ConsentChange {
  granted: boolean;
  at: string;
  /** The privacy-policy version that applied to the user when they decided. */
  policyVersion: string | null;
}

export const consentDecisionSchema = z.strictObject({ granted: z.boolean() });

export const consentStateSchema = z.object({
  purpose: consentPurposeSchema,
  title: z.string(),
  description: z.string(),
  granted: z.boolean(),
  updatedAt: z.string().nullable(),
  /** The policy version that applied when the user last decided. */
  policyVersion: z.string().nullable(),
  /** Every decision, oldest first: granted or withdrawn, when, under which policy version. */
  history: z.array(z.object({ granted: z.boolean(), at: z.string(), policyVersion: z.string().nullable() })),
});

export type ConsentState = z.infer<typeof consentStateSchema>;

export interface ConsentProof {
  purpose: ConsentPurpose;
  grantedAt: string;
  policyVersion: string | null;
}

/** Which policy version applies to a user now (P18): recorded with every consent decision. */
export interface PolicyStatusSource {
  statusFor(subject: ConsentSubject): Promise<{ appliesVersion: string | null }>;
}

interface StoredConsent extends ConsentSubject {
  id: string;
  type: 'consent';
  purpose: ConsentPurpose;
  granted: boolean;
  updatedAt: string;
  policyVersion: string | null;
  history: ConsentChange[];
}

interface ConsentIndexEntry extends ConsentSubject {
  id: string;
  pk: string;
  type: 'consent-index-entry';
  purpose: ConsentPurpose;
}

/**
 * Grants are capped so a consent document (its history is evidence and is never trimmed)
 * stays far below Cosmos DB's 2 MB item limit. Withdrawal is never refused.
 */
export const MAX_GRANTS_PER_PURPOSE = 500;
const WRITE_ATTEMPTS = 5;

export class ConsentMissing extends HttpProblem {
  constructor(readonly purpose: ConsentPurpose) {
    super(403, 'consent-required', 'Consent required', `This needs the user's consent to the purpose "${purpose}"`);
    this.name = 'ConsentMissing';
  }
}

/**
 * Consent records per user and purpose (P9). The state and its full history are one
 * document in the user's partition, so a decision and its record can never disagree.
 * Users who granted a purpose are also listed in an index partition per purpose
 * (`platform`, pk `consent-index:<purpose>`), so a mailing finds its audience with
 * single-partition queries; the index only narrows the search, the consent document
 * decides (every send re-checks it through `requireConsent`).
 */
export class ConsentStore {
  constructor(
    private readonly consents: Container,
    private readonly platform: Container,
    private readonly policy: PolicyStatusSource,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async get(subject: ConsentSubject, purpose: ConsentPurpose): Promise<ConsentState> {
    const stored = await readTyped<StoredConsent>(this.consents, consentId(subject, purpose), partitionOf(subject), 'consent');
    return view(purpose, stored?.value);
  }

  async list(subject: ConsentSubject): Promise<ConsentState[]> {
    const stored = await queryAll<StoredConsent>(this.consents, { where: "c.type = 'consent'" }, partitionOf(subject));
    return (Object.keys(CONSENT_PURPOSES) as ConsentPurpose[]).map((purpose) =>
      view(purpose, stored.find((document) => document.purpose === purpose)),
    );
  }

  /** Records a decision; repeating the current decision changes nothing and adds no history. */
  async set(subject: ConsentSubject, purpose: ConsentPurpose, granted: boolean): Promise<ConsentState> {
    const id = consentId(subject, purpose);
    const partition = partitionOf(subject);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const current = await readTyped<StoredConsent>(this.consents, id, partition, 'consent');
      if ((current?.value.granted ?? false) === granted) {
        await this.syncIndex(subject, purpose, granted);
        return view(purpose, current?.value);
      }
      const history = current?.value.history ?? [];
      if (granted && history.filter((change) => change.granted).length >= MAX_GRANTS_PER_PURPOSE) {
        throw problems.conflict('This consent has been granted too many times; contact support');
      }
      const at = this.clock.now().toISOString();
      const { appliesVersion } = await this.policy.statusFor(subject);
      const next: StoredConsent = {
        id,
        ...subject,
        type: 'consent',
        purpose,
        granted,
        updatedAt: at,
        policyVersion: appliesVersion,
        history: [...history, { granted, at, policyVersion: appliesVersion }],
      };
      try {
        if (current) {
          await this.consents.item(id, [subject.municipalityId, subject.userId]).replace(next, {
            accessCondition: { type: 'IfMatch', condition: current.etag },
          });
        } else {
          await this.consents.items.create(next);
        }
      } catch (error) {
        // Another decision landed first: decide again on top of it.
        if (isCosmosStatus(error, 412) || isCosmosStatus(error, 409)) continue;
        throw error;
      }
      await this.syncIndex(subject, purpose, granted);
      return view(purpose, next);
    }
    throw problems.conflict('The consent changed concurrently; read it and try again');
  }

  /**
   * The one gate for processing beyond the privacy statement (P9): resolves with the
   * consent it relies on, or throws `ConsentMissing`.
   */
  async requireConsent(subject: ConsentSubject, purpose: ConsentPurpose): Promise<ConsentProof> {
    const stored = await readTyped<StoredConsent>(this.consents, consentId(subject, purpose), partitionOf(subject), 'consent');
    if (!stored?.value.granted) throw new ConsentMissing(purpose);
    return { purpose, grantedAt: stored.value.updatedAt, policyVersion: stored.value.policyVersion };
  }

  /** Candidates for a purpose's processing, from the index (a single-partition query). */
  candidates(purpose: ConsentPurpose, page: PageRequest): Promise<Page<ConsentSubject>> {
    return queryPage<ConsentSubject>(
      this.continuations,
      this.platform,
      { select: 'c.municipalityId, c.userId', where: "c.type = 'consent-index-entry'", orderBy: 'c.createdAt' },
      [['pk', indexPartition(purpose)]],
      page,
    );
  }

  /** Idempotent, so repeating a decision also repairs an index write lost to a crash. */
  private async syncIndex(subject: ConsentSubject, purpose: ConsentPurpose, granted: boolean): Promise<void> {
    const id = `${subject.municipalityId}.${subject.userId}`;
    const pk = indexPartition(purpose);
    if (granted) {
      const entry: ConsentIndexEntry & { createdAt: string } = {
        id,
        pk,
        type: 'consent-index-entry',
        purpose,
        ...subject,
        createdAt: this.clock.now().toISOString(),
      };
      await this.platform.items.upsert(entry);
      return;
    }
    try {
      await this.platform.item(id, pk).delete();
    } catch (error) {
      if (!isCosmosStatus(error, 404)) throw error;
    }
  }
}

function partitionOf(subject: ConsentSubject): PartitionFilter {
  return [['municipalityId', subject.municipalityId], ['userId', subject.userId]];
}

/** Unique within the municipality: the emulator enforces id uniqueness on the first key level only. */
function consentId(subject: ConsentSubject, purpose: ConsentPurpose): string {
  return `consent.${subject.userId}.${purpose}`;
}

function indexPartition(purpose: ConsentPurpose): string {
  return `consent-index:${purpose}`;
}

function view(purpose: ConsentPurpose, stored: StoredConsent | undefined): ConsentState {
  const { title, description } = CONSENT_PURPOSES[purpose];
  return {
    purpose,
    title,
    description,
    granted: stored?.granted ?? false,
    updatedAt: stored?.updatedAt ?? null,
    policyVersion: stored?.policyVersion ?? null,
    history: stored?.history ?? [],
  };
}
