import { describe, expect, it } from 'vitest';
import { batchMayPrecede, marked, unmarked, withoutErasedPeople } from '../../lib/roster-import/roster-erased-writes.js';
import type { PlanOp } from '../../lib/roster-import/roster-plan.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 8, 0) + minutes * 60_000);
const mark = (attempt: string, minutes: number) => ({ attempt, checkedAt: at(minutes).toISOString() });

describe('an import batch against erasures accepted after its plan', () => {
  it('keeps another attempt\'s live mark when marking and when unmarking, and drops only dead marks (a retry may overlap an attempt still landing)', () => {
    const marks = marked([mark('first', 0), mark('dead', -20)], mark('retry', 1), at(1));
    expect(marks.map((one) => one.attempt)).toEqual(['first', 'retry']);
    expect(unmarked(marks, 'retry')?.map((one) => one.attempt)).toEqual(['first']);
    expect(unmarked([mark('retry', 1)], 'retry')).toBeUndefined();
  });

  it('makes an erasure wait for a batch checked before, or within a minute after, its acceptance, and not for a dead mark', () => {
    const accepted = at(0).toISOString();
    expect(batchMayPrecede(mark('a', -5), accepted, at(1))).toBe(true);
    expect(batchMayPrecede(mark('a', 1), accepted, at(1))).toBe(true);
    expect(batchMayPrecede(mark('a', 1.5), accepted, at(2))).toBe(false);
    expect(batchMayPrecede(mark('a', -5), accepted, at(11))).toBe(false);
  });

  it('leaves out a new person by any key an erasure recorded, a stored one by id only, and takes erased ids out of members', () => {
    const erasedKeys = new Set(['user:t-erased', 'student:sourced:s-erased', 'user:identity:tone', 'student:s-id']);
    const erased = (kind: 'student' | 'user', person: { id: string; sourcedId?: string; identity?: { issuer: string; subject: string } }) =>
      erasedKeys.has(`${kind}:${person.id}`) || erasedKeys.has(`${kind}:sourced:${person.sourcedId}`) || erasedKeys.has(`${kind}:identity:${person.identity?.subject}`);
    const ops: PlanOp[] = [
      { op: 'create', doc: { id: 'new-1', municipalityId: 'm', type: 'student', sourcedId: 's-erased' } as PlanOp['doc'] },
      { op: 'replace', doc: { id: 'stored-1', municipalityId: 'm', type: 'user', identity: { issuer: 'i', subject: 'tone' } } as PlanOp['doc'], etag: 'e' },
      { op: 'create', doc: { id: 'g-1', municipalityId: 'm', type: 'group', teacherIds: ['t-erased', 't-2'], studentIds: ['s-id', 's-2'] } as PlanOp['doc'] },
    ];
    const { ops: kept, dropped } = withoutErasedPeople(ops, erased);
    expect(dropped).toBe(1);
    expect(kept.map((op) => op.doc)).toEqual([
      { id: 'stored-1', municipalityId: 'm', type: 'user', identity: { issuer: 'i', subject: 'tone' } },
      { id: 'g-1', municipalityId: 'm', type: 'group', teacherIds: ['t-2'], studentIds: ['s-2'] },
    ]);
  });
});
