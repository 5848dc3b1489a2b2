import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { StaffPrincipal } from '../access/scopes.js';
import type { Clock } from '../clock.js';
import { problems, type FieldError } from '../http/problem.js';
import type { AccountMonths } from './account-months.js';
import type { UsageCells } from './usage-cells.js';
import { bulkWrite, created, createOperation, REQUEST_RETRY_BUDGET_MS } from './bulk.js';
import { monthOf } from '../clock.js';
import {
  accountBucket,
  DEVICE_OS,
  USAGE_EVENT_TYPES,
  type ClientInfo,
  type DeviceRegistrationDocument,
  type UsageEventDocument,
} from './usage-model.js';
import { nameText } from '../http/text-input.js';

export const MAX_EVENTS_PER_BATCH = 100;
/** Clients batch events while offline; older ones are refused rather than filed in a past month. */
const MAX_EVENT_AGE_MS = 31 * 86_400_000;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

// Identifiers and names only: a slug or a short label cannot carry free text (P19).
const featureSchema = z.string().max(100).regex(/^[a-z][a-z0-9-]*(\/[a-z0-9-]+)*$/, 'must be a lower-case slug such as "grades/list"');
const deviceIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, 'must be 8-128 letters, digits or . _ : -');

export const usageEventSchema = z.strictObject({
  type: z.enum(USAGE_EVENT_TYPES),
  feature: featureSchema,
  at: z.iso.datetime({ offset: true }),
  deviceId: deviceIdSchema.optional(),
});

export const usageEventsSchema = z.strictObject({
  events: z.array(usageEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});

export const deviceInputSchema = z.strictObject({
  deviceId: deviceIdSchema,
  model: nameText({ max: 100 }).regex(/^[\p{L}\p{N} ._()+,-]+$/u, 'must be a device model name'),
  os: z.enum(DEVICE_OS).optional(),
  osVersion: z.string().regex(/^[0-9A-Za-z._-]{1,32}$/, 'must be a version such as "17.4.1"'),
  network: nameText({ max: 64 }).regex(/^[\p{L}\p{N} ._&()-]+$/u, 'must be a mobile network name').optional(),
  phone: z.string().regex(/^\+?[0-9 ]{5,20}$/, 'must be a phone number').optional(),
});

export const deviceReceiptSchema = z.object({ id: z.string(), registeredAt: z.string() });

export type UsageEventInput = z.infer<typeof usageEventSchema>;
export type DeviceInput = z.infer<typeof deviceInputSchema>;

/** P6: what staff use and on which devices, linked to their account until P10 anonymises it. */
export class UsageRecorder {
  constructor(
    private readonly usage: Container,
    private readonly months: AccountMonths,
    private readonly cells: UsageCells,
    private readonly clock: Clock,
  ) {}

  async recordEvents(principal: StaffPrincipal, events: readonly UsageEventInput[], client: ClientInfo): Promise<number> {
    const now = this.clock.now();
    rejectOutOfWindow(events, now);
    const month = monthOf(now);
    await this.months.ensure([{ municipalityId: principal.municipalityId, accountId: principal.userId, month }], REQUEST_RETRY_BUDGET_MS);
    const documents = events.map((event): UsageEventDocument => ({
      id: randomUUID(),
      municipalityId: principal.municipalityId,
      accountBucket: accountBucket(principal.userId, month),
      month,
      accountId: principal.userId,
      type: 'usage-event',
      eventType: event.type,
      feature: event.feature,
      at: new Date(event.at).toISOString(),
      receivedAt: now.toISOString(),
      ...(event.deviceId === undefined ? {} : { deviceId: event.deviceId }),
      ...client,
    }));
    await bulkWrite(
      this.usage,
      documents.map((document) => createOperation(document, [document.municipalityId, document.accountBucket])),
      created,
      REQUEST_RETRY_BUDGET_MS,
    );
    // After the events: a failure here is retried by the client like any failed batch.
    await this.cells.record(principal.municipalityId, principal.userId, principal.schoolIds, documents);
    return documents.length;
  }

  async registerDevice(principal: StaffPrincipal, input: DeviceInput, client: ClientInfo): Promise<z.infer<typeof deviceReceiptSchema>> {
    const now = this.clock.now();
    const month = monthOf(now);
    await this.months.ensure([{ municipalityId: principal.municipalityId, accountId: principal.userId, month }], REQUEST_RETRY_BUDGET_MS);
    const document: DeviceRegistrationDocument = {
      id: randomUUID(),
      municipalityId: principal.municipalityId,
      accountBucket: accountBucket(principal.userId, month),
      month,
      accountId: principal.userId,
      type: 'device-registration',
      at: now.toISOString(),
      ...input,
      ...client,
    };
    await this.usage.items.create(document);
    return { id: document.id, registeredAt: document.at };
  }
}

function rejectOutOfWindow(events: readonly UsageEventInput[], now: Date): void {
  const errors: FieldError[] = [];
  events.forEach((event, index) => {
    const at = Date.parse(event.at);
    if (at > now.getTime() + MAX_CLOCK_SKEW_MS || at < now.getTime() - MAX_EVENT_AGE_MS) {
      errors.push({ field: `body/events/${index}/at`, message: 'must be within the last 31 days and not in the future' });
    }
  });
  if (errors.length > 0) throw problems.validation(errors);
}
