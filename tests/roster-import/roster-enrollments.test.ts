import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EnrollmentTable, type EnrollmentRow } from '../../lib/roster-import/roster-enrollments.js';

function enrollment(index: number): EnrollmentRow {
  return {
    line: index + 2,
    classSourcedId: `class-${index % 7}`,
    userSourcedId: `user-${index % 11}`,
    role: index % 5 === 0 ? 'teacher' : 'student',
    ended: index % 3 === 0,
    future: index % 3 !== 0 && index % 7 === 2,
    endDate: index % 4 === 0 ? `2026-0${1 + (index % 9)}-15` : undefined,
  };
}

async function all(table: EnrollmentTable): Promise<EnrollmentRow[]> {
  const rows: EnrollmentRow[] = [];
  for await (const row of table.rows()) rows.push(row);
  return rows;
}

const spillDirectories = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('roster-table-'));

describe('enrollments spilled to a temporary file', () => {
  it('reads every row back in the order pushed, across chunk borders, in more than one pass', async () => {
    const table = new EnrollmentTable(undefined, 4);
    const pushed = Array.from({ length: 10 }, (_, index) => enrollment(index)); // two chunks on disk, two rows in memory
    for (const row of pushed) table.push(row);
    expect(table.length).toBe(10);
    expect(await all(table)).toEqual(pushed);
    expect(await all(table)).toEqual(pushed);
    table.discard();
  });

  it('gives back 200,000 rows (four chunks of the default size) unchanged', async () => {
    const table = new EnrollmentTable();
    for (let index = 0; index < 200_000; index += 1) table.push(enrollment(index));
    let count = 0;
    let mismatch: number | undefined;
    for await (const row of table.rows()) {
      if (mismatch === undefined && JSON.stringify(row) !== JSON.stringify(enrollment(count))) mismatch = count;
      count += 1;
    }
    expect({ count, mismatch }).toEqual({ count: 200_000, mismatch: undefined });
    table.discard();
  });

  it('counts the rows that enrol teachers and students in each class (ended ones too), across chunk borders', () => {
    const table = new EnrollmentTable(undefined, 4);
    const pushed = Array.from({ length: 300 }, (_, index) => enrollment(index));
    for (const row of pushed) table.push(row);
    for (const classSourcedId of ['class-0', 'class-3', 'class-6']) {
      for (const role of ['teacher', 'student'] as const) {
        expect(table.rowsIn(classSourcedId, role)).toBe(pushed.filter((row) => row.classSourcedId === classSourcedId && row.role === role).length);
      }
    }
    expect(table.rowsIn('class-unknown', 'student')).toBe(0);
    expect(table.rowsIn('2026-01-15', 'student')).toBe(0); // an end date shares the interned ids, and enrols nobody
    table.discard();
  });

  it('leaves no file behind by name, and refuses to be read once discarded', async () => {
    const before = await spillDirectories();
    const table = new EnrollmentTable(undefined, 2);
    for (let index = 0; index < 5; index += 1) table.push(enrollment(index));
    expect(await all(table)).toHaveLength(5);
    expect(await spillDirectories()).toEqual(before);
    table.discard();
    table.discard();
    await expect(all(table)).rejects.toThrow('discarded');
  });
});
