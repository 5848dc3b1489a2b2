import type { Container } from '@azure/cosmos';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { readTyped, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import { queryAll } from '../paging/query-page.js';

const ROSTER_ID = 'data-admins';
const DROP_ATTEMPTS = 5;

interface RosterDocument {
  id: typeof ROSTER_ID;
  type: 'data-admins';
  municipalityId: string;
  userIds: string[];
}

/**
 * Who the municipality's data admins are, as one document whose ETag serialises every change
 * to the set: two data admins taking the role from each other at the same moment cannot both
 * succeed. It repeats what the users' roles say, on purpose: the users are separate documents,
 * and only one document can be the point where the last data admin is kept. Removals are
 * written here before the user's roles, grants after, so that a crash in between leaves this
 * list short of the truth, never long: it can refuse too much, never let the last one go.
 */
export class DataAdminRoster {
  constructor(private readonly directory: Container) {}

  /**
   * Takes data-admin from these users (a demotion or an erasure) only if the municipality
   * keeps at least one; throws 409 otherwise, or when the roster changed meanwhile.
   */
  async release(municipalityId: string, userIds: readonly string[]): Promise<void> {
    const roster = await this.current(municipalityId);
    const remaining = roster.value.userIds.filter((id) => !userIds.includes(id));
    if (remaining.length === roster.value.userIds.length) return;
    if (remaining.length === 0) throw problems.conflict('The municipality would have no data admin left: grant the role to someone else first');
    await this.save(roster, remaining);
  }

  /** Records a grant of data-admin, after the user's roles say so. */
  async admit(municipalityId: string, userId: string): Promise<void> {
    const roster = await this.current(municipalityId);
    if (!roster.value.userIds.includes(userId)) await this.save(roster, [...roster.value.userIds, userId]);
  }

  /**
   * Erasure's step: the id leaves the roster unconditionally (the last-admin rule was applied
   * when the erasure was accepted). Read-modify-write under the ETag, retried on a race.
   */
  async drop(municipalityId: string, userId: string): Promise<number> {
    for (let attempt = 1; attempt <= DROP_ATTEMPTS; attempt++) {
      const roster = await this.read(municipalityId);
      if (!roster?.value.userIds.includes(userId)) return 0;
      try {
        await this.replace(roster, roster.value.userIds.filter((id) => id !== userId));
        return 1;
      } catch (error) {
        if (!isCosmosStatus(error, 412)) throw error;
      }
    }
    throw new Error('the data admin roster kept changing while a user was being erased from it');
  }

  async names(municipalityId: string, userId: string): Promise<boolean> {
    return (await this.read(municipalityId))?.value.userIds.includes(userId) ?? false;
  }

  private read(municipalityId: string): Promise<Versioned<RosterDocument> | undefined> {
    return readTyped<RosterDocument>(this.directory, ROSTER_ID, [['municipalityId', municipalityId]], 'data-admins');
  }

  private async current(municipalityId: string): Promise<Versioned<RosterDocument>> {
    const stored = await this.read(municipalityId);
    if (stored) return stored;
    // First use in a municipality: the roster starts as the data admins there are.
    const userIds = await queryAll<string>(
      this.directory,
      { select: 'VALUE c.id', where: "c.type = 'user' AND NOT IS_DEFINED(c.erasureId) AND ARRAY_CONTAINS(c.roles, 'data-admin')" },
      [['municipalityId', municipalityId]],
    );
    const roster: RosterDocument = { id: ROSTER_ID, type: 'data-admins', municipalityId, userIds };
    try {
      const { etag } = await this.directory.items.create(roster);
      return { value: roster, etag: etag ?? '' };
    } catch (error) {
      if (isCosmosStatus(error, 409)) throw changedMeanwhile();
      throw error;
    }
  }

  private async save(current: Versioned<RosterDocument>, userIds: string[]): Promise<void> {
    try {
      await this.replace(current, userIds);
    } catch (error) {
      if (isCosmosStatus(error, 412)) throw changedMeanwhile();
      throw error;
    }
  }

  private async replace(current: Versioned<RosterDocument>, userIds: string[]): Promise<void> {
    await this.directory.item(ROSTER_ID, current.value.municipalityId).replace({ ...current.value, userIds }, { accessCondition: { type: 'IfMatch', condition: current.etag } });
  }
}

function changedMeanwhile() {
  return problems.conflict('The data admins of the municipality changed meanwhile; retry');
}
