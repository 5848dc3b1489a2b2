import type { TokenCredential } from '@azure/identity';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config/config.js';
import type { CosmosHandle } from '../data/cosmos.js';
import type { UserDirectory } from '../directory/users.js';
import type { Logger } from '../logger.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import type { MunicipalityRegistry } from '../platform/municipalities.js';
import { BackgroundWork } from './background-work.js';
import { ComplaintRegister } from './complaints/complaint-register.js';
import { ConsentStore } from './consent/consent-store.js';
import { createEmailSender } from './email/create-email-sender.js';
import type { EmailSender } from './email/email-sender.js';
import { Mailings } from './email/mailings.js';
import { Newsletters } from './email/newsletters.js';
import { Outbox } from './email/outbox.js';
import { PolicyAcceptances } from './policy/policy-acceptances.js';
import { PolicyAnnouncements } from './policy/policy-announcements.js';
import { PolicyVersions } from './policy/policy-versions.js';
import { SupportDesk } from './support/support-desk.js';
import { GovernanceRetention } from './governance-retention.js';
import { JobRunStore } from '../jobs/job-runs.js';
import { telemetryJobSignals } from '../jobs/job-signals.js';
import type { Telemetry } from '../telemetry/telemetry.js';

export interface GovernanceDependencies {
  config: AppConfig;
  cosmos: CosmosHandle;
  blob: BlobServiceClient;
  clock: Clock;
  logger: Logger;
  telemetry: Telemetry;
  credential: () => TokenCredential;
  continuations: ContinuationSealer;
  municipalities: MunicipalityRegistry;
  users: UserDirectory;
  /** Overrides the sender the configuration chooses. */
  emailSender?: EmailSender | undefined;
}

/** The processor's own obligations: consent (P9), support (P8), complaints (P17), policy versions (P18). */
export interface Governance {
  consents: ConsentStore;
  policyVersions: PolicyVersions;
  policyAcceptances: PolicyAcceptances;
  policyAnnouncements: PolicyAnnouncements;
  complaints: ComplaintRegister;
  support: SupportDesk;
  mailings: Mailings;
  newsletters: Newsletters;
  background: BackgroundWork;
  /** The `governance-retention` job's work: support threads and closed complaints past their retention. */
  retention: GovernanceRetention;
}

/** How long a process trusts its cached list of policy versions. */
const POLICY_CATALOG_CACHE_MS = 30_000;

export function createGovernance(deps: GovernanceDependencies): Governance {
  const { cosmos, clock, logger, continuations } = deps;
  const background = new BackgroundWork(logger);
  const policyVersions = new PolicyVersions(cosmos.containers.platform, clock, continuations, POLICY_CATALOG_CACHE_MS);
  const policyAcceptances = new PolicyAcceptances(cosmos.containers.consents, policyVersions, clock);
  const consents = new ConsentStore(cosmos.containers.consents, cosmos.containers.platform, policyAcceptances, clock, continuations);
  const sender = deps.emailSender ?? createEmailSender(deps.config.mode, deps.blob, deps.credential);
  const outbox = new Outbox(cosmos.containers.outbox, deps.users, consents, sender, clock, logger);
  const mailings = new Mailings(
    cosmos.containers.platform,
    outbox,
    {
      municipalityIds: (page) => deps.municipalities.list(page),
      userIds: (municipalityId, page) => deps.users.list(municipalityId, { all: true, schoolIds: [] }, page),
      candidates: (purpose, page) => consents.candidates(purpose, page),
      requireConsent: (subject, purpose) => consents.requireConsent(subject, purpose),
    },
    clock,
    logger,
  );
  return {
    consents,
    policyVersions,
    policyAcceptances,
    policyAnnouncements: new PolicyAnnouncements(policyVersions, mailings, background),
    complaints: new ComplaintRegister(cosmos.containers.platform, clock, continuations),
    support: new SupportDesk(cosmos.containers.support, clock, continuations),
    mailings,
    newsletters: new Newsletters(mailings, background),
    background,
    retention: new GovernanceRetention({
      support: cosmos.containers.support,
      platform: cosmos.containers.platform,
      runs: new JobRunStore(cosmos.containers.jobs),
      clock,
      signals: telemetryJobSignals(deps.telemetry),
      supportThreadMonths: deps.config.retention.supportThreadMonths,
      complaintMonths: deps.config.retention.complaintMonths,
    }),
  };
}

/**
 * The scheduled mailing job (a timer calls it every few minutes): records any policy
 * notice still missing, then queues and delivers every unfinished mailing. Idempotent.
 */
export async function runMailingJob(governance: Governance): Promise<void> {
  await governance.policyAnnouncements.announceAll();
  await governance.mailings.runPending();
}
