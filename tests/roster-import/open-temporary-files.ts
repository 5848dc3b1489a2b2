import { readdirSync, readlinkSync } from 'node:fs';

/** The plan step's temporary files this process has open (the app runs in the test's process; their names were removed at open). */
export function openTemporaryFiles(): string[] {
  return readdirSync('/proc/self/fd')
    .flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return []; // closed since it was listed
      }
    })
    .filter((target) => /\/roster-table-/.test(target));
}
