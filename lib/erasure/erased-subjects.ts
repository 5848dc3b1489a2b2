import type { TokenIdentity } from '../identity/principal.js';
import { keyedDigest } from '../privacy/keyed-digest.js';

/** What names a person: their document id, and where they have them the school system's sourcedId (an import's) and their login identity. */
export interface PersonKeys {
  id: string;
  sourcedId?: string;
  identity?: TokenIdentity;
}

/** Whether an erasure instruction covers the person by any of their keys. */
export type ErasedSubjects = (subjectType: 'student' | 'user', person: PersonKeys) => boolean;

/**
 * The digests of the erasure records of a municipality, as plain data: what `erasedSubjectsOf`
 * tests against, in this thread or in a worker's (the roster import's plan step).
 */
export interface ErasureDigests {
  municipalityId: string;
  digests: string[];
}

/** The keyed digest an erasure record keeps of one of a subject's keys. */
export function erasureDigest(key: string, municipalityId: string, subjectType: string, subjectKey: string): string {
  return keyedDigest(key, `erasure:${municipalityId}:${subjectType}:${subjectKey}`);
}

/** The id first; the other keys are prefixed, so none can equal an id. */
export function subjectKeys(person: PersonKeys): string[] {
  const keys = [person.id];
  if (person.sourcedId) keys.push(`sourcedId ${person.sourcedId}`);
  if (person.identity) keys.push(`identity ${JSON.stringify([person.identity.issuer, person.identity.subject])}`);
  return keys;
}

/** The test of whether a record's digests cover a person, under the key they were made with. */
export function erasedSubjectsOf(key: string, { municipalityId, digests }: ErasureDigests): ErasedSubjects {
  if (digests.length === 0) return () => false;
  const known = new Set(digests);
  return (subjectType, person) => subjectKeys(person).some((subjectKey) => known.has(erasureDigest(key, municipalityId, subjectType, subjectKey)));
}
