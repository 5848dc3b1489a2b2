import type { ErasedSubjects } from '../erasure/erased-subjects.js';
import type { TokenIdentity } from '../identity/principal.js';
import type { BatchInFlight, StoredRosterImport } from './roster-import-model.js';
import type { PlanOp } from './roster-plan.js';

/**
 * How far before the plan's read of the erasures each batch looks again: an erasure takes its
 * `createdAt` before its record is written, and instances' clocks differ. Looking further
 * back costs nothing but a few records more.
 */
const ERASURE_LOOKBACK_MS = 10 * 60_000;

/**
 * How long after an erasure's `createdAt` a batch's check may still have missed it (its
 * record written moments later, another instance's clock): an erasure waits for a batch
 * checked before then. Longer would only hold erasures back while an import runs.
 */
const ERASURE_UNSEEN_MS = 60_000;

/**
 * A batch marked in flight longer than this is no longer being written: the host stops a
 * function after 10 minutes (`functionTimeout` in host.json), and a retry marks it again.
 */
const BATCH_IN_FLIGHT_DEAD_MS = 15 * 60_000;

/** Erasures a batch checks: those accepted since the plan read them (less the margin), or since the run began on a run from before the field. */
export function erasuresSince(run: StoredRosterImport): string {
  return new Date(Date.parse(run.erasuresReadAt ?? run.createdAt) - ERASURE_LOOKBACK_MS).toISOString();
}

/**
 * Whether a batch in flight may have checked the erasures before one accepted at `acceptedAt`
 * saw it, and may still write (so that erasure must wait for it): checked no later than a
 * minute after the acceptance, and not dead.
 */
export function batchMayPrecede(batch: BatchInFlight, acceptedAt: string, now: Date): boolean {
  const checked = Date.parse(batch.checkedAt);
  return checked <= Date.parse(acceptedAt) + ERASURE_UNSEEN_MS && alive(batch, now);
}

/** The run's marks with this attempt's added, the dead ones dropped (their writers are gone). */
export function marked(marks: readonly BatchInFlight[] | undefined, mark: BatchInFlight, now: Date): BatchInFlight[] {
  return [...(marks ?? []).filter((other) => alive(other, now)), mark];
}

/** The run's marks without this attempt's (another attempt's stay until its own progress). */
export function unmarked(marks: readonly BatchInFlight[] | undefined, attempt: string): BatchInFlight[] | undefined {
  const rest = (marks ?? []).filter((other) => other.attempt !== attempt);
  return rest.length > 0 ? rest : undefined;
}

function alive(batch: BatchInFlight, now: Date): boolean {
  return now.getTime() - Date.parse(batch.checkedAt) < BATCH_IN_FLIGHT_DEAD_MS;
}

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
    // A new person by every key the erasure recorded; a stored one by their document's id (registered again through the API, they may be linked again).
    const person = op.op === 'replace' ? { id: doc.id } : { id: doc.id, sourcedId: doc.sourcedId, identity: doc.identity };
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
