import type { ErasedSubjects } from '../erasure/erasure-service.js';
import type { TokenIdentity } from '../identity/principal.js';
import type { PlanOp } from './roster-plan.js';

/** A batch's writes once erasures accepted since its plan are taken into account. */
export interface ErasureCheckedBatch {
  ops: PlanOp[];
  /** Writes left out because they would create or update a person an erasure now covers. */
  dropped: number;
}

/** The fields of a planned document that name a person. */
interface PersonFields {
  type?: string;
  sourcedId?: string;
  identity?: TokenIdentity;
  teacherIds?: string[];
  studentIds?: string[];
}

/**
 * The writes of a batch planned before an erasure instruction was accepted, less what would
 * bring an erased person back (P16): their own document (a create would make them again once
 * the erasure has deleted it) and their id in a group's members or a pupil's teachers (a
 * group this import creates did not exist when the erasure removed them from every group).
 * A replace of what the erasure itself changed would fail on its ETag anyway; a create would
 * not.
 */
export function withoutErasedPeople(ops: readonly PlanOp[], erased: ErasedSubjects): ErasureCheckedBatch {
  const kept: PlanOp[] = [];
  let dropped = 0;
  for (const op of ops) {
    const doc = op.doc as PlanOp['doc'] & PersonFields;
    const person = { id: doc.id, sourcedId: doc.sourcedId, identity: doc.identity };
    if ((doc.type === 'user' && erased('user', person)) || (doc.type === 'student' && erased('student', person))) {
      dropped += 1;
      continue;
    }
    const teacherIds = doc.teacherIds?.filter((id) => !erased('user', { id }));
    const studentIds = doc.type === 'group' ? doc.studentIds?.filter((id) => !erased('student', { id })) : doc.studentIds;
    const unchanged = teacherIds?.length === doc.teacherIds?.length && studentIds?.length === doc.studentIds?.length;
    kept.push(unchanged ? op : ({ ...op, doc: { ...doc, teacherIds, studentIds } } as unknown as PlanOp));
  }
  return { ops: kept, dropped };
}
