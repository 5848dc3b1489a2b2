import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { municipalityIdSchema } from '../../lib/platform/municipalities.js';
import { userInputSchema, userReceiptSchema } from '../../lib/directory/users.js';

export const userRoutes: AnyRoute[] = [
  defineRoute({
    name: 'create-user',
    method: 'POST',
    path: '/municipalities/{municipalityId}/users',
    summary: "Register a staff user; platform operators may bootstrap a municipality's first users",
    tag: 'directory',
    access: { kind: 'roles', roles: ['platform-operator', 'municipality-admin'] },
    params: z.strictObject({ municipalityId: municipalityIdSchema }),
    body: userInputSchema,
    response: userReceiptSchema,
    successStatus: 201,
    errorStatuses: [409],
    handler: async ({ params, body }, services) => {
      await services.municipalities.get(params.municipalityId);
      const user = await services.users.create(params.municipalityId, body);
      services.principals.forget(body.identity);
      return {
        status: 201,
        body: user,
        headers: { Location: `/api/municipalities/${params.municipalityId}/users/${user.id}` },
      };
    },
  }),
];
