/** Why a zip is not read (any further): the caller's file, never our failure. */
export class RosterArchiveRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RosterArchiveRefused';
  }
}
