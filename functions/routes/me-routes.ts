import { z } from 'zod';
import { ROLES } from '../../lib/identity/principal.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';

const meSchema = z.object({
  kind: z.enum(['staff', 'operator', 'unregistered']),
  userId: z.string().nullable(),
  municipalityId: z.string().nullable(),
  roles: z.array(z.enum(ROLES)),
  schoolIds: z.array(z.string()),
});

export const meRoutes: AnyRoute[] = [
  defineRoute({
    name: 'me',
    method: 'GET',
    path: '/me',
    summary: 'The caller: user id, municipality and roles',
    tag: 'identity',
    access: { kind: 'authenticated' },
    response: meSchema,
    successStatus: 200,
    handler: async ({ principal }) => {
      if (!principal || principal.kind !== 'staff') {
        return {
          status: 200,
          body: { kind: principal?.kind ?? 'unregistered', userId: null, municipalityId: null, roles: [...(principal?.roles ?? [])], schoolIds: [] },
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
        },
      };
    },
  }),
];
