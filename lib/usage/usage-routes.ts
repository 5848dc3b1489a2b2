import { z } from 'zod';
import { staffOf } from '../access/scopes.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { TENANT_ROLES } from '../identity/principal.js';
import { clientInfo } from './client-info.js';
import { deviceInputSchema, deviceReceiptSchema, usageEventsSchema } from './usage-recorder.js';

// Usage information is about staff accounts (P6); operators and unregistered identities have none.
const staff = { kind: 'roles', roles: TENANT_ROLES } as const;

export const usageRoutes: AnyRoute[] = [
  defineRoute({
    name: 'record-usage-events',
    method: 'POST',
    path: '/usage/events',
    summary: 'Record a batch of up to 100 usage events of the caller (P6); the server adds time received, IP and user agent',
    tag: 'usage',
    access: staff,
    body: usageEventsSchema,
    response: z.object({ accepted: z.number().int() }),
    successStatus: 202,
    uses: ['usage'],
    handler: async ({ body, principal, headers }, services) => {
      const accepted = await services.usage.recordEvents(staffOf(principal), body.events, clientInfo(headers));
      return { status: 202, body: { accepted } };
    },
  }),
  defineRoute({
    name: 'register-device',
    method: 'POST',
    path: '/me/devices',
    summary: "Register the caller's device: model, OS version, device id, mobile network, phone number (P6)",
    tag: 'usage',
    access: staff,
    body: deviceInputSchema,
    response: deviceReceiptSchema,
    successStatus: 201,
    uses: ['usage'],
    handler: async ({ body, principal, headers }, services) => ({
      status: 201,
      body: await services.usage.registerDevice(staffOf(principal), body, clientInfo(headers)),
    }),
  }),
];
