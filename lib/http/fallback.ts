import { randomUUID } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { problemResponse } from './dispatcher.js';
import { problems } from './problem.js';
import type { HostRouter, RoutedFunction } from './router.js';

/** Unknown path: 404; known path, other method: 405 with Allow. Both as problems. */
export function unmatchedResponse(router: HostRouter<RoutedFunction>, method: string, path: string, acceptLanguage?: string | null): HttpResponseInit {
  const allowed = router.allowedMethods(path);
  const problem = allowed.length > 0 ? problems.methodNotAllowed(allowed) : problems.notFound('No such route');
  return problemResponse(problem, randomUUID(), acceptLanguage);
}
