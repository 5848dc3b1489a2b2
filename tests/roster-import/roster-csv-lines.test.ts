import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RosterArchive } from '../../lib/roster-import/roster-archive.js';
import { rosterBlobs } from '../../lib/roster-import/roster-uploads.js';
import { municipalityApp } from '../support/test-app.js';
import { upload, zip } from './oneroster-fixture.js';

const M = '5211';
/** Long enough that a record straddles the inflater's 16 KiB chunks, and random enough to stay under the compression ratio. */
const LONG_TEXT = randomBytes(7000).toString('base64');

/** One record: its id, a note the import does not read (quoted, may hold line breaks), and blank lines before it. */
interface Row {
  note: string;
  blankLinesBefore: number;
}

/** A CSV as an exporter writes it, and the line each record starts on as an editor counts (a CRLF is one line break). */
function written(rows: readonly Row[], newline: '\r\n' | '\n'): { text: string; starts: number[] } {
  let text = `sourcedId,note,givenName${newline}`;
  let line = 2;
  const starts: number[] = [];
  rows.forEach((row, index) => {
    text += newline.repeat(row.blankLinesBefore);
    line += row.blankLinesBefore;
    starts.push(line);
    const record = `r-${index},"${row.note}",Navn${index}${newline}`;
    text += record;
    line += record.replace(/\r\n/g, '\n').split(/[\r\n]/).length - 1;
  });
  return { text, starts };
}

describe('roster CSV: the line a record starts on', () => {
  const app = municipalityApp(M);

  /** Each row's line as the archive reports it, `users.csv` uploaded and read without its `note` column. */
  async function linesOf(text: string): Promise<number[]> {
    const blob = await upload(app.test, app.admin, M, zip({ 'users.csv': text }));
    const { archive } = await RosterArchive.openUpload(rosterBlobs(app.test.app.services.blob).getBlobClient(blob));
    const lines: number[] = [];
    try {
      for await (const { line, record } of archive.rows('users.csv', (header) => header.map((name) => (name === 'note' ? false : name)))) {
        expect(record).not.toHaveProperty('note');
        lines.push(line);
      }
    } finally {
      archive.close();
    }
    return lines;
  }

  it('is the line an editor shows, after quoted fields with CRLFs or line feeds in a column the import does not read, blank lines, and records that straddle the inflater’s chunks', async () => {
    const note = fc.array(fc.constantFrom('tekst', '\r\n', '\n', LONG_TEXT), { maxLength: 6 }).map((parts) => parts.join(''));
    const rows = fc.array(fc.record({ note, blankLinesBefore: fc.nat({ max: 2 }) }), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(rows, fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'), async (records, newline) => {
        const { text, starts } = written(records, newline);
        expect(await linesOf(text)).toEqual(starts);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('reads a file whose lines end in a carriage return alone (old Mac exports), past a megabyte', async () => {
    const rows = Array.from({ length: 45_000 }, (_, index) => `r-${index},notat ${index},Navn${index}`);
    const lines = await linesOf(`sourcedId,note,givenName\r${rows.join('\r')}\r`);
    expect(lines).toHaveLength(45_000);
    expect(lines.at(-1)).toBe(45_001);
  });
});
