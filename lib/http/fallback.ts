import { randomUUID } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { problemResponse } from './dispatcher.js';
import { problems } from './problem.js';
import type { Router } from './router.js';

/** Unknown path: 404; known path, other method: 405 with Allow. Both as problems. */
export function unmatchedResponse(router: Router, method: string, path: string): HttpResponseInit {
  const match = router.match(method, path);
  const problem = match.kind === 'method-not-allowed' ? problems.methodNotAllowed(match.allowed) : problems.notFound('No such route');
  return problemResponse(problem, randomUUID());
}
