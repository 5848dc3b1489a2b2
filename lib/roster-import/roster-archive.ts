import { PassThrough, type Readable } from 'node:stream';
import type { BlobClient } from '@azure/storage-blob';
import { parse } from 'csv-parse';
import yauzl from 'yauzl';
import { ROSTER_LIMITS } from './roster-limits.js';
import { RosterArchiveRefused } from './roster-refusal.js';

/** One CSV record with the line it starts on (1 is the header). */
export interface CsvRow {
  line: number;
  record: Record<string, string>;
}

/**
 * Reads a blob in ranges, for yauzl: the central directory and then one entry at a time,
 * so a 100 MB zip never sits in memory and a refused one costs a few small reads.
 */
class BlobRangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly blob: BlobClient) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.blob
      .download(start, end - start)
      .then((response) => {
        const body = response.readableStreamBody;
        if (!body) throw new Error('blob download has no body');
        body.on('error', (error) => out.destroy(error));
        body.pipe(out);
      })
      .catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error('blob range read failed')));
    return out;
  }
}

/**
 * A OneRoster CSV zip: its entries checked against the limits from the central directory
 * before anything is inflated, then each file streamed through csv-parse row by row.
 */
export class RosterArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: ReadonlyMap<string, yauzl.Entry>,
  ) {}

  static async fromBlob(blob: BlobClient, size: number): Promise<RosterArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(new BlobRangeReader(blob), size, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true });
    } catch (error) {
      if (error instanceof Error && /zip|signature|central directory/i.test(error.message)) throw new RosterArchiveRefused('the file is not a zip archive');
      throw error;
    }
    const entries = new Map<string, yauzl.Entry>();
    let total = 0;
    try {
      for await (const entry of readEntries(zip)) {
        if (entries.size >= ROSTER_LIMITS.maxEntries) throw new RosterArchiveRefused(`the zip holds more than ${ROSTER_LIMITS.maxEntries} entries`);
        if (entry.fileName.endsWith('/')) continue;
        if (entry.uncompressedSize > ROSTER_LIMITS.maxEntryBytes) throw new RosterArchiveRefused(`${entry.fileName} inflates beyond ${ROSTER_LIMITS.maxEntryBytes} bytes`);
        if (entry.uncompressedSize > Math.max(entry.compressedSize, 1) * ROSTER_LIMITS.maxCompressionRatio) {
          throw new RosterArchiveRefused(`${entry.fileName} is compressed more than ${ROSTER_LIMITS.maxCompressionRatio}:1 (a zip bomb?)`);
        }
        total += entry.uncompressedSize;
        if (total > ROSTER_LIMITS.maxTotalBytes) throw new RosterArchiveRefused(`the zip inflates beyond ${ROSTER_LIMITS.maxTotalBytes} bytes`);
        if (entries.has(entry.fileName)) throw new RosterArchiveRefused(`${entry.fileName} appears twice in the zip`);
        entries.set(entry.fileName, entry);
      }
    } catch (error) {
      zip.close();
      throw error;
    }
    return new RosterArchive(zip, entries);
  }

  has(fileName: string): boolean {
    return this.entries.has(fileName);
  }

  /**
   * The rows of one CSV file, streamed: a BOM is dropped, the header names the columns, and a
   * row with the wrong number of fields or a quote left open refuses the file (a broken CSV is
   * not a roster to guess at).
   */
  async *rows(fileName: string, select: (header: string[]) => (string | false)[]): AsyncGenerator<CsvRow> {
    const entry = this.entries.get(fileName);
    if (!entry) return;
    const stream = await this.zip.openReadStreamPromise(entry);
    const parser = stream.pipe(parse({ bom: true, columns: headerOf(fileName, select), info: true, skip_empty_lines: true, max_record_size: ROSTER_LIMITS.maxFieldChars * 64 }));
    stream.on('error', (error) => parser.destroy(error));
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        yield { line: info.lines, record };
      }
    } catch (error) {
      if (error instanceof RosterArchiveRefused) throw error;
      if (error instanceof Error && 'code' in error && String((error as { code: unknown }).code).startsWith('CSV_')) {
        throw new RosterArchiveRefused(`${fileName} is not valid CSV (${String((error as { code: unknown }).code)})`);
      }
      throw error;
    } finally {
      stream.destroy();
    }
  }

  close(): void {
    this.zip.close();
  }
}

/** Header names must be unique and non-empty; `select` keeps the columns the import reads and may refuse the file. */
function headerOf(fileName: string, select: (header: string[]) => (string | false)[]) {
  return (header: string[]) => {
    const names = header.map((name) => name.trim());
    if (names.some((name) => name.length === 0) || new Set(names).size !== names.length) {
      throw new RosterArchiveRefused(`${fileName} has an empty or repeated column name in its header`);
    }
    return select(names);
  };
}

async function* readEntries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const next = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      const onEntry = (entry: yauzl.Entry) => {
        cleanup();
        resolve(entry);
      };
      const onEnd = () => {
        cleanup();
        resolve(undefined);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
    if (!next) return;
    yield next;
  }
}
