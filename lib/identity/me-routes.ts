import { z } from 'zod';
import { ROLES } from './principal.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { policyStatusSchema } from '../governance/policy/policy-acceptances.js';

const meSchema = z.object({
  kind: z.enum(['staff', 'operator', 'unregistered']),
  userId: z.string().nullable(),
  municipalityId: z.string().nullable(),
  roles: z.array(z.enum(ROLES)),
  schoolIds: z.array(z.string()),
  /** Every municipality where the caller is staff: name one in the Engage-Municipality header outside /municipalities/{id}. */
  memberships: z.array(z.string()),
  /** Which privacy-policy version governs the caller, and one awaiting their acceptance (P18). */
  policy: policyStatusSchema,
});

export const meRoutes: AnyRoute[] = [
  defineRoute({
    name: 'me',
    method: 'GET',
    path: '/me',
    summary: 'The caller: user id, municipality, roles, and the privacy-policy version that applies to them',
    description: 'Who the caller is: staff (with user id, municipality and roles), platform operator, or a valid token not registered anywhere; and which privacy-policy version applies to them, with one waiting for acceptance.',
    promises: ['P1', 'P18'],
    tag: 'identity',
    access: { kind: 'authenticated' },
    response: meSchema,
    successStatus: 200,
    uses: ['governance'],
    handler: async ({ principal }, services) => {
      const acceptances = services.governance.policyAcceptances;
      if (!principal || principal.kind !== 'staff') {
        return {
          status: 200,
          body: {
            kind: principal?.kind ?? 'unregistered',
            userId: null,
            municipalityId: null,
            roles: [...(principal?.roles ?? [])],
            schoolIds: [],
            memberships: [],
            policy: await acceptances.generalStatus(),
          },
        };
      }
      return {
        status: 200,
        body: {
          kind: 'staff' as const,
          userId: principal.userId,
          municipalityId: principal.municipalityId,
          roles: [...principal.roles],
          schoolIds: [...principal.schoolIds],
          memberships: [...principal.memberships],
          policy: await acceptances.statusFor({ municipalityId: principal.municipalityId, userId: principal.userId }),
        },
      };
    },
  }),
];
