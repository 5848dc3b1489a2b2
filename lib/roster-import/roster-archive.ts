import { PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { BlobClient } from '@azure/storage-blob';
import { parse } from 'csv-parse';
import yauzl from 'yauzl';
import { entryLabel } from './roster-files.js';
import { ROSTER_LIMITS } from './roster-limits.js';
import { RosterArchiveRefused } from './roster-refusal.js';

/** One CSV record with the line it starts on (1 is the header). */
export interface CsvRow {
  line: number;
  record: Record<string, string>;
}

/** The zip of a run and the version of the blob every read of it is pinned to. */
export interface OpenedUpload {
  archive: RosterArchive;
  etag: string;
}

/** A read of the upload that Blob Storage did not serve: our failure (the step is retried), unless the blob changed. */
class UploadReadFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a range read of the roster upload failed');
    this.name = 'UploadReadFailed';
  }
}

/** yauzl does not check an entry's CRC-32; a damaged entry must not pass for a roster. */
class ChecksumMismatch extends Error {}

/**
 * Reads a blob in ranges, for yauzl: the central directory and then one entry at a time,
 * so a 100 MB zip never sits in memory and a refused one costs a few small reads. Every
 * range is read under `If-Match`, so a blob replaced meanwhile fails the read (412) instead
 * of mixing two files. yauzl does not check the offsets a zip declares against its size, so
 * a range past the end is refused here: Blob Storage would answer it 416, our failure to
 * retry, where it is the file's.
 */
class BlobRangeReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly blob: BlobClient,
    private readonly etag: string,
    private readonly size: number,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end > this.size) {
      process.nextTick(() => out.destroy(new RosterArchiveRefused('the zip is damaged: it points past its own end')));
      return out;
    }
    this.blob
      .download(start, end - start, { conditions: { ifMatch: this.etag } })
      .then((response) => {
        const body = response.readableStreamBody;
        if (!body) throw new Error('blob download has no body');
        body.on('error', (error) => out.destroy(new UploadReadFailed(error)));
        body.pipe(out);
      })
      .catch((error: unknown) => out.destroy(new UploadReadFailed(error)));
    return out;
  }
}

/**
 * A OneRoster CSV zip: its entries checked against the limits from the central directory
 * before anything is inflated, then each file streamed through csv-parse row by row. Whatever
 * stops yauzl, zlib or csv-parse is the file's fault and refuses it (RosterArchiveRefused);
 * only a failed read of the blob is ours.
 */
export class RosterArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: ReadonlyMap<string, yauzl.Entry>,
  ) {}

  /**
   * The uploaded zip, its size checked as soon as it is seen (before a byte is read), every
   * read pinned to one version of the blob: `pinned` (the ETag a run saw at its start) or,
   * at the start, the version seen now, which the run then keeps.
   */
  static async openUpload(blob: BlobClient, pinned?: string): Promise<OpenedUpload> {
    let size: number;
    let etag: string | undefined;
    try {
      const properties = await blob.getProperties(pinned === undefined ? {} : { conditions: { ifMatch: pinned } });
      size = properties.contentLength ?? 0;
      etag = properties.etag;
    } catch (error) {
      throw storageRefusal(error) ?? error;
    }
    if (etag === undefined) throw new Error('Blob Storage answered without an ETag');
    if (size > ROSTER_LIMITS.maxUploadBytes) {
      throw new RosterArchiveRefused(`the upload is ${size} bytes; a roster zip may be at most ${ROSTER_LIMITS.maxUploadBytes} bytes (${ROSTER_LIMITS.maxUploadBytes / (1024 * 1024)} MiB)`, 'too-large');
    }
    return { archive: await RosterArchive.read(blob, size, etag), etag };
  }

  private static async read(blob: BlobClient, size: number, etag: string): Promise<RosterArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(new BlobRangeReader(blob, etag, size), size, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true });
    } catch (error) {
      throw refusalFor(error, 'the zip');
    }
    const entries = new Map<string, yauzl.Entry>();
    let total = 0;
    try {
      // The count from the end of the central directory is every entry yauzl will read, directories included.
      if (zip.entryCount > ROSTER_LIMITS.maxEntries) throw new RosterArchiveRefused(`the zip holds more than ${ROSTER_LIMITS.maxEntries} entries`);
      for await (const entry of readEntries(zip)) {
        if (entry.fileName.endsWith('/')) continue;
        const label = entryLabel(entry.fileName);
        if (entry.uncompressedSize > ROSTER_LIMITS.maxEntryBytes) throw new RosterArchiveRefused(`${label} inflates beyond ${ROSTER_LIMITS.maxEntryBytes} bytes`);
        if (entry.uncompressedSize > Math.max(entry.compressedSize, 1) * ROSTER_LIMITS.maxCompressionRatio) {
          throw new RosterArchiveRefused(`${label} is compressed more than ${ROSTER_LIMITS.maxCompressionRatio}:1 (a zip bomb?)`);
        }
        total += entry.uncompressedSize;
        if (total > ROSTER_LIMITS.maxTotalBytes) throw new RosterArchiveRefused(`the zip inflates beyond ${ROSTER_LIMITS.maxTotalBytes} bytes`);
        if (entries.has(entry.fileName)) throw new RosterArchiveRefused(`${label} appears twice in the zip`);
        entries.set(entry.fileName, entry);
      }
    } catch (error) {
      zip.close();
      throw refusalFor(error, 'the zip');
    }
    return new RosterArchive(zip, entries);
  }

  has(fileName: string): boolean {
    return this.entries.has(fileName);
  }

  /** The inflated size the central directory declares (yauzl stops inflating beyond it). */
  inflatedSize(fileName: string): number | undefined {
    return this.entries.get(fileName)?.uncompressedSize;
  }

  /**
   * The rows of one CSV file, streamed: a BOM is dropped, the header names the columns, and a
   * file without a header, a row with the wrong number of fields, a quote left open, text that
   * is not UTF-8 or a field read by the import that is longer than `maxFieldChars` refuses the
   * file (a broken CSV is not a roster to guess at), as does an entry that does not inflate or
   * whose CRC-32 does not match.
   */
  async *rows(fileName: string, select: (header: string[]) => (string | false)[]): AsyncGenerator<CsvRow> {
    const entry = this.entries.get(fileName);
    if (!entry) return;
    const label = entryLabel(fileName);
    const lines = new RecordLines();
    let header = false;
    let stream: Readable | undefined;
    try {
      stream = await this.zip.openReadStreamPromise(entry);
      const parser = parse({
        bom: true,
        columns: headerOf(label, (names) => {
          header = true;
          return select(names);
        }),
        skip_empty_lines: true,
        max_record_size: ROSTER_LIMITS.maxRecordChars,
        on_record: (record: Record<string, string>, info) => ({ line: lines.startOf(info.lines, info.empty_lines), record }),
      });
      // Any stream's error destroys the parser with it, so the loop below throws it.
      pipeline(stream, checksummed(entry.crc32), lineFeeds(label), parser, () => undefined);
      for await (const row of parser as AsyncIterable<CsvRow>) {
        for (const value of Object.values(row.record)) {
          if (value.length > ROSTER_LIMITS.maxFieldChars) throw new RosterArchiveRefused(`${label} has a field longer than ${ROSTER_LIMITS.maxFieldChars} characters on line ${row.line}`);
          // OneRoster files are UTF-8: a Windows-1252 "ø" decodes to U+FFFD, which would be stored in a name.
          if (value.includes('\uFFFD')) throw new RosterArchiveRefused(`${label} is not UTF-8 text (line ${row.line})`);
        }
        yield row;
      }
      if (!header) throw new RosterArchiveRefused(`${label} has no header row`);
    } catch (error) {
      throw refusalFor(error, label);
    } finally {
      stream?.destroy();
    }
  }

  close(): void {
    this.zip.close();
  }
}

/** Header names must be unique, non-empty and on one line (`lineFeeds` bounds their number); `select` keeps the columns the import reads and may refuse the file. */
function headerOf(label: string, select: (header: string[]) => (string | false)[]) {
  return (header: string[]) => {
    const names = header.map((name) => name.trim());
    if (names.some((name) => name.length === 0) || new Set(names).size !== names.length) {
      throw new RosterArchiveRefused(`${label} has an empty or repeated column name in its header`);
    }
    if (header.some((name) => /[\r\n]/.test(name))) throw new RosterArchiveRefused(`${label} has a line break in a column name`);
    return select(names);
  };
}

/**
 * The line each record starts on, from what csv-parse counts: the line a record ends on
 * (`info.lines`) and the empty lines skipped so far. A record starts on the line after the
 * previous one ended, past the empty lines between; the first, after the one-line header.
 * Exact once CRLFs are line feeds (`lineFeeds`): csv-parse counts a CRLF inside a quoted field
 * as two lines.
 */
class RecordLines {
  private lastEnd: number | undefined;
  private lastEmpty = 0;

  startOf(endLine: number, emptyLines: number): number {
    const start = this.lastEnd === undefined ? 2 + emptyLines : this.lastEnd + 1 + emptyLines - this.lastEmpty;
    this.lastEnd = endLine;
    this.lastEmpty = emptyLines;
    return start;
  }
}

/**
 * Each CRLF becomes a line feed, in place (the bytes are already checksummed), so csv-parse
 * counts every line once; no value the import keeps may hold a line break anyway. And each
 * record is bounded before csv-parse builds it: at most `maxRecordBytes` bytes and
 * `maxColumns` fields. csv-parse checks a record's field count only when the record ends, and
 * empty fields add nothing to its record size, so commas alone (across lines joined by quoted
 * line breaks) would grow one record without bound. Counting needs only where quotes open and
 * close (a doubled quote closes and opens again); the parsing itself stays csv-parse's.
 */
function lineFeeds(label: string): Transform {
  let recordBytes = 0;
  let fields = 1;
  let quoted = false;
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let write = 0;
      if (pendingCr && chunk[0] !== LF) chunk = Buffer.concat([CR_BYTE, chunk]);
      pendingCr = false;
      for (let read = 0; read < chunk.length; read += 1) {
        const byte = chunk[read] ?? 0;
        if (byte === CR && read === chunk.length - 1) {
          pendingCr = true; // a CRLF may straddle two chunks
          break;
        }
        if (byte === CR && chunk[read + 1] === LF) continue;
        if (byte === QUOTE) quoted = !quoted;
        if (!quoted && (byte === LF || byte === CR)) {
          recordBytes = 0;
          fields = 1;
        } else {
          recordBytes += 1;
          if (!quoted && byte === COMMA) fields += 1;
          if (recordBytes > ROSTER_LIMITS.maxRecordBytes || fields > ROSTER_LIMITS.maxColumns) {
            done(new RosterArchiveRefused(`${label} has a row of more than ${ROSTER_LIMITS.maxRecordBytes} bytes or ${ROSTER_LIMITS.maxColumns} fields`));
            return;
          }
        }
        chunk[write] = byte;
        write += 1;
      }
      done(null, chunk.subarray(0, write));
    },
    flush(done) {
      done(null, pendingCr ? CR_BYTE : undefined);
    },
  });
}

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const CR_BYTE = Buffer.from([CR]);

/** Passes an entry's bytes on and fails at the end unless their CRC-32 is the one the zip declares. */
function checksummed(expected: number): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      done(crc === expected ? null : new ChecksumMismatch());
    },
  });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A refusal for the storage statuses that are the caller's (no such upload, or another version of it); otherwise undefined. */
function storageRefusal(error: unknown): RosterArchiveRefused | undefined {
  const status = statusOf(error);
  if (status === 404) return new RosterArchiveRefused('names no uploaded file: upload the zip to the URL from POST roster-uploads first', 'missing');
  if (status === 412) return new RosterArchiveRefused('the uploaded file was replaced after the import started; upload it again and start a new import', 'changed');
  return undefined;
}

/**
 * What stopped yauzl, zlib or csv-parse, as the import's refusal of the file, said in our words:
 * their messages are never passed on, since yauzl's quote entry names (the uploader's text).
 * A failed read of the blob stays what it is (our failure, retried), and so does an error
 * that is a bug of ours (a TypeError and its kind).
 */
function refusalFor(error: unknown, label: string): unknown {
  if (error instanceof RosterArchiveRefused) return error;
  if (error instanceof UploadReadFailed) return storageRefusal(error.failure) ?? error.failure;
  if (error instanceof ChecksumMismatch) return new RosterArchiveRefused(`${label} is damaged: its CRC-32 does not match its content`);
  if (!(error instanceof Error) || error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code === 'CSV_MAX_RECORD_SIZE') return new RosterArchiveRefused(`${label} has a record longer than ${ROSTER_LIMITS.maxRecordChars} characters`);
  if (typeof code === 'string' && code.startsWith('CSV_')) return new RosterArchiveRefused(`${label} is not valid CSV (${code})`);
  if (typeof code === 'string' && code.startsWith('Z_')) return new RosterArchiveRefused(`${label} is damaged: its compressed data does not inflate`);
  const message = error.message;
  if (/too many bytes|not enough bytes|size mismatch/.test(message)) return new RosterArchiveRefused(`${label} inflates to another size than the zip declares (a zip bomb?)`);
  if (/encrypt/i.test(message)) return new RosterArchiveRefused(`${label} is encrypted`);
  if (/compression method/.test(message)) return new RosterArchiveRefused(`${label} is compressed with a method other than deflate`);
  if (/fileName|absolute path|relative path/.test(message)) return new RosterArchiveRefused('an entry has a name that is not a plain relative path (absolute, with .. or with a backslash)');
  if (/end of central directory record signature not found/i.test(message)) return new RosterArchiveRefused('the file is not a zip archive (or it was cut short)');
  return new RosterArchiveRefused(`${label} is damaged: its zip structure cannot be read`);
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
