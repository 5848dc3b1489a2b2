import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { deviceInputSchema, deviceReceiptSchema, usageEventsSchema } from './usage-recorder.js';
import { defineRateLimit } from '../rate-limit/rate-limit-policy.js';

/** An app sends a batch (up to 100 events) every few seconds at most. */
const USAGE_EVENTS = defineRateLimit({ name: 'usage-events', quota: 120, windowSeconds: 60, per: 'caller' });
const DEVICE_REGISTRATIONS = defineRateLimit({ name: 'device-registrations', quota: 20, windowSeconds: 3600, per: 'caller' });

// Usage information is about staff accounts (P6); operators and unregistered identities have none.
const staff = { kind: 'roles', roles: TENANT_ROLES } as const;

export const usageRoutes: AnyRoute[] = [
  defineRoute({
    name: 'record-usage-events',
    rateLimits: [USAGE_EVENTS],
    method: 'POST',
    path: '/usage/events',
    summary: 'Record a batch of up to 100 usage events of the caller (P6); the server adds time received, IP and user agent',
    description: 'Records up to 100 usage events of the caller; the server adds the time received, IP address and user agent. Usage information is anonymised within 3 months of account deletion.',
    promises: ['P6', 'P10'],
    tag: 'usage',
    access: staff,
    body: usageEventsSchema,
    response: z.object({ accepted: z.number().int() }),
    successStatus: 202,
    uses: ['usage'],
    handler: async ({ body, principal, client }, services) => {
      const accepted = await services.usage.recordEvents(staffOf(principal), body.events, client);
      return { status: 202, body: { accepted } };
    },
  }),
  defineRoute({
    name: 'register-device',
    rateLimits: [DEVICE_REGISTRATIONS],
    method: 'POST',
    path: '/me/devices',
    summary: "Register the caller's device: model, OS version, device id, mobile network, phone number (P6)",
    description: 'Registers the caller\'s device (model, OS version, device id, mobile network, phone number) as usage information linked to the account.',
    promises: ['P6', 'P10'],
    tag: 'usage',
    access: staff,
    body: deviceInputSchema,
    response: deviceReceiptSchema,
    successStatus: 201,
    uses: ['usage'],
    handler: async ({ body, principal, client }, services) => ({
      status: 201,
      body: await services.usage.registerDevice(staffOf(principal), body, client),
    }),
  }),
];
