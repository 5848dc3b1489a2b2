import type { Container } from '@azure/cosmos';
import type { AppConfig } from '../config/config.js';
import type { Containers } from '../data/cosmos.js';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { identityKey } from '../identity/identity-key.js';
import { queryAll } from '../paging/query-page.js';
import type { PrivacyProvider, PrivacySubject } from '../privacy/privacy-provider.js';
import { CONSENT_PURPOSES } from './consent/purposes.js';
import { MAILINGS_PARTITION } from './email/mailings.js';
import { timeOfId } from './time-ordered-id.js';
import { deleteIfPresent } from '../data/documents.js';
import { queryFreeTextPage, rewriteEdited, type FreeTextDeclaration } from '../privacy/free-text-sweep.js';
import { complaintInputSchema, complaintPatchSchema } from './complaints/complaint-register.js';
import { newsletterInputSchema } from './email/newsletters.js';
import { policyVersionInputSchema } from './policy/policy-versions.js';
import { supportMessageInputSchema, supportRequestInputSchema } from './support/support-desk.js';

interface Stored {
  id: string;
  type: string;
  [field: string]: unknown;
}

/** The privacy providers of the governance module (P8, P9, P17, P18). */
export function governancePrivacyProviders(containers: Containers, retention: AppConfig['retention']): PrivacyProvider[] {
  return [
    consentPrivacyProvider(containers.consents, containers.platform),
    supportPrivacyProvider(containers.support, retention.supportThreadMonths),
    outboxPrivacyProvider(containers.outbox, containers.platform),
    complaintsPrivacyProvider(containers.platform, retention.complaintMonths),
    nonPersonalGovernanceProvider(),
  ];
}

async function readOrUndefined<T extends object>(container: Container, id: string, partitionKey: string): Promise<T | undefined> {
  try {
    const { resource } = await container.item(id, partitionKey).read<T>();
    return resource;
  } catch (error) {
    if (isCosmosStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Consent decisions, policy acceptances and the consent index entries that point at the user. */
function consentPrivacyProvider(consents: Container, platform: Container): PrivacyProvider {
  const own = (subject: PrivacySubject) =>
    queryAll<Stored>(consents, {}, [['municipalityId', subject.municipalityId], ['userId', subject.id]]);
  const indexEntries = async (subject: PrivacySubject) => {
    const found: { id: string; pk: string }[] = [];
    for (const purpose of Object.keys(CONSENT_PURPOSES)) {
      const pk = `consent-index:${purpose}`;
      const id = `${subject.municipalityId}.${subject.id}`;
      if (await readOrUndefined(platform, id, pk)) found.push({ id, pk });
    }
    return found;
  };
  return {
    name: 'governance.consents',
    locations: [
      { kind: 'cosmos', container: 'consents', documentTypes: ['consent', 'policy-acceptances'] },
      { kind: 'cosmos', container: 'platform', documentTypes: ['consent-index-entry'] },
    ],
    categories: ['consent decisions per purpose with their history', 'privacy-policy versions accepted'],
    purpose: 'Proof of consent before processing beyond the privacy statement (P9), and which policy version applies (P18)',
    retention: 'While the account exists; erased with it',
    subjects: ['user'],
    async export(subject) {
      return {
        provider: this.name,
        description: 'Consent decisions and privacy-policy acceptances',
        items: (await own(subject)).map(({ type, purpose, granted, history, accepted }) => ({ type, purpose, granted, history, accepted })),
      };
    },
    async erase(subject) {
      let erased = 0;
      for (const entry of await indexEntries(subject)) erased += await deleteIfPresent(platform, entry.id, entry.pk);
      for (const document of await own(subject)) {
        erased += await deleteIfPresent(consents, document.id, [subject.municipalityId, subject.id]);
      }
      return erased;
    },
    async verify(subject) {
      return [
        ...(await own(subject)).map((document) => `${document.type} ${document.id} still exists`),
        ...(await indexEntries(subject)).map((entry) => `consent index entry in ${entry.pk} still exists`),
      ];
    },
  };
}

const THREAD_TEXT = ['subject', 'messages[].text'];
const REF_TEXT = ['subject'];

/**
 * The threads of the municipality's staff, whoever wrote in them (operators' replies too).
 * Threads live in month partitions, so a municipality's are found with a query across them:
 * background work only, bounded by the support retention.
 */
function supportText(support: Container): FreeTextDeclaration {
  return {
    inputs: [supportRequestInputSchema, supportMessageInputSchema],
    fields: ['support-request.subject', 'support-request.messages[].text', 'support-request-ref.subject'],
    async sweep(municipalityId, edit, page) {
      const { items, cursor } = await queryFreeTextPage<Stored & { pk: string; subject: string; requesterKey: string }>(
        support,
        { query: "SELECT * FROM c WHERE c.type = 'support-request' AND c.municipalityId = @municipality", parameters: [{ name: '@municipality', value: municipalityId }] },
        page,
      );
      let mentions = 0;
      for (const thread of items) {
        // The requester's reference copies the subject: it first, so a crash between the two leaves the thread to find it by.
        if (edit(thread.subject).mentions > 0) {
          const ref = await readOrUndefined<Stored & { _etag?: string }>(support, thread.id, `requester:${thread.requesterKey}`);
          if (ref) mentions += await rewriteEdited(support, ref, `requester:${thread.requesterKey}`, REF_TEXT, edit);
        }
        mentions += await rewriteEdited(support, thread, thread.pk, THREAD_TEXT, edit);
      }
      return { scanned: items.length, mentions, cursor };
    },
  };
}

/** Support threads, found through the requester's references (keyed by sign-in identity). */
function supportPrivacyProvider(support: Container, months: number): PrivacyProvider {
  const threadsOf = async (subject: PrivacySubject) => {
    if (!subject.identity) return { refs: [] as Stored[], threads: [] as (Stored & { pk: string })[] };
    const refs = await queryAll<Stored>(support, { where: "c.type = 'support-request-ref'" }, [['pk', `requester:${identityKey(subject.identity)}`]]);
    const threads: (Stored & { pk: string })[] = [];
    for (const ref of refs) {
      const createdAt = timeOfId(ref.id);
      const pk = createdAt ? `requests:${createdAt.toISOString().slice(0, 7)}` : undefined;
      const thread = pk ? await readOrUndefined<Stored>(support, ref.id, pk) : undefined;
      if (thread && pk) threads.push({ ...thread, pk });
    }
    return { refs, threads };
  };
  return {
    name: 'governance.support',
    locations: [{ kind: 'cosmos', container: 'support', documentTypes: ['support-request', 'support-request-ref'] }],
    categories: ['support requests and their messages'],
    purpose: 'Solve the problems users contact support about (P8)',
    retention: `${months} months after the thread's last message (job governance-retention, SUPPORT_RETENTION_MONTHS); erased with the account sooner`,
    subjects: ['user'],
    freeText: supportText(support),
    async export(subject) {
      const { threads } = await threadsOf(subject);
      return {
        provider: this.name,
        description: 'Support requests and their messages',
        items: threads.map(({ id, subject: title, messages, createdAt }) => ({ id, subject: title, messages, createdAt })),
      };
    },
    async erase(subject) {
      const { refs, threads } = await threadsOf(subject);
      let erased = 0;
      for (const thread of threads) erased += await deleteIfPresent(support, thread.id, thread.pk);
      // References last: they are how a resumed erasure finds the threads.
      for (const ref of refs) erased += await deleteIfPresent(support, ref.id, ref.pk as string);
      return erased;
    },
    async verify(subject) {
      const { refs, threads } = await threadsOf(subject);
      return [...threads.map((thread) => `support thread ${thread.id} still exists`), ...refs.map((ref) => `support reference ${ref.id} still exists`)];
    },
  };
}

/** Outbox messages name their recipient by user id: one per mailing the user was in. */
function outboxPrivacyProvider(outbox: Container, platform: Container): PrivacyProvider {
  const messagesOf = async (subject: PrivacySubject) => {
    const mailingIds = await queryAll<string>(platform, { select: 'VALUE c.id', where: "c.type = 'mailing'" }, [['pk', MAILINGS_PARTITION]]);
    const found: (Stored & { pk: string })[] = [];
    for (const mailingId of mailingIds) {
      const message = await readOrUndefined<Stored & { pk: string }>(outbox, subject.id, mailingId);
      if (message && message.municipalityId === subject.municipalityId) found.push(message);
    }
    return found;
  };
  return {
    name: 'governance.outbox',
    locations: [{ kind: 'cosmos', container: 'outbox', documentTypes: ['email'] }],
    categories: ['which notices and newsletters were sent to the user, and when'],
    purpose: 'Send policy notices (P18) and consented newsletters (P9), with proof that they were sent',
    retention: 'While the account exists; erased with it',
    subjects: ['user'],
    async export(subject) {
      return {
        provider: this.name,
        description: 'Emails queued or sent to the user',
        items: (await messagesOf(subject)).map(({ pk, status, sentAt, skippedReason }) => ({ mailingId: pk, status, sentAt, skippedReason })),
      };
    },
    async erase(subject) {
      let erased = 0;
      for (const message of await messagesOf(subject)) erased += await deleteIfPresent(outbox, message.id, message.pk);
      return erased;
    },
    async verify(subject) {
      return (await messagesOf(subject)).map((message) => `outbox message in mailing ${message.pk} still exists`);
    },
  };
}

/**
 * Formal complaints (P17) come from anyone, signed in or not, and are not linked to an
 * account: no registered subject's erasure or export reaches them. The complainant's
 * rights over a complaint are handled by the operators who follow it up.
 */
function complaintsPrivacyProvider(platform: Container, months: number): PrivacyProvider {
  const text: FreeTextDeclaration = {
    inputs: [complaintInputSchema, complaintPatchSchema],
    // `name` too: a complainant who is later erased as a registered person is named there.
    fields: ['complaint.name', 'complaint.contact', 'complaint.text', 'complaint.history[].note'],
    // Complaints about the municipality; one that names no municipality cannot be told apart from another's namesake.
    async sweep(municipalityId, edit, page) {
      const { items, cursor } = await queryFreeTextPage<Stored & { pk: string }>(
        platform,
        { query: "SELECT * FROM c WHERE c.type = 'complaint' AND c.municipalityId = @municipality", parameters: [{ name: '@municipality', value: municipalityId }] },
        page,
      );
      let mentions = 0;
      for (const complaint of items) mentions += await rewriteEdited(platform, complaint, complaint.pk, text.fields.map((field) => field.slice('complaint.'.length)), edit);
      return { scanned: items.length, mentions, cursor };
    },
  };
  return {
    name: 'governance.complaints',
    locations: [{ kind: 'cosmos', container: 'platform', documentTypes: ['complaint'] }],
    categories: ["complainant's name and contact details", 'the complaint and its follow-up notes'],
    purpose: 'Follow up formal written complaints (P17)',
    retention: `While open; ${months} months after it is resolved or referred to the authority (job governance-retention, COMPLAINT_RETENTION_MONTHS)`,
    subjects: [],
    unlinkedSubjects: 'Complaints come from anyone, with or without an account, so no account erasure can reach them; platform operators follow them up and remove them on request.',
    freeText: text,
    export: async () => ({ provider: 'governance.complaints', description: 'Complaints are not linked to accounts', items: [] }),
    erase: async () => 0,
    verify: async () => [],
  };
}

function nonPersonalGovernanceProvider(): PrivacyProvider {
  return {
    name: 'governance.non-personal',
    locations: [{ kind: 'cosmos', container: 'platform', documentTypes: ['policy-version', 'complaint-index', 'mailing'] }],
    categories: [],
    purpose: 'Privacy-policy archive, open-complaint years and mailing progress: no personal data',
    retention: 'Policy versions forever (the archive P18 promises); the rest while needed',
    subjects: [],
    freeText: {
      inputs: [policyVersionInputSchema, newsletterInputSchema],
      fields: ['policy-version.text', 'mailing.subject', 'mailing.text'],
      notSwept: "Written by platform operators to every municipality's staff (the privacy statement and newsletters), never about a pupil or a colleague",
    },
    export: async () => ({ provider: 'governance.non-personal', description: 'No personal data', items: [] }),
    erase: async () => 0,
    verify: async () => [],
  };
}
