/**
 * The bounds of one roster import (docs/roster-import.md). The zip is read entry by entry
 * from Blob Storage, so its size bounds time, not memory; the entry limits stop a zip bomb
 * before a byte of it is inflated: counts and sizes come from the central directory, and
 * inflation stops at the declared size (yauzl checks it) or at the ratio, whichever is first.
 */
export const ROSTER_LIMITS = {
  /** The uploaded zip (a SAS cannot cap a PUT's size, so the start refuses a larger blob as soon as it sees it, before reading it). */
  maxUploadBytes: 100 * 1024 * 1024,
  /** Entries in the zip, directories included: the OneRoster files and a few more that are ignored. */
  maxEntries: 32,
  /** One CSV file, inflated. */
  maxEntryBytes: 512 * 1024 * 1024,
  /** Every CSV file together, inflated. */
  maxTotalBytes: 1024 * 1024 * 1024,
  /** Inflated size over compressed size of one entry: CSV compresses 5-20x, a bomb 1000x. */
  maxCompressionRatio: 200,
  /** manifest.csv inflated: some 25 properties; it is read whole before anything else is checked. */
  maxManifestBytes: 64 * 1024,
  /** One CSV field the import reads (a name, a list of ids); a longer one is not a roster. */
  maxFieldChars: 4096,
  /** Columns of a CSV file's header, and fields of any of its records (OneRoster's widest file has 23; extensions add a few). */
  maxColumns: 256,
  /** One CSV record, in bytes as written: its characters in UTF-8, quotes and delimiters fit; bounds a record of empty fields, which `maxRecordChars` does not count. */
  maxRecordBytes: 1024 * 1024,
  /** One CSV record, every field together (also those not read): bounds what the parser buffers. */
  maxRecordChars: 256 * 1024,
  /** Distinct roles, and distinct orgs, of one user in roles.csv (a teacher at a few schools has a few). */
  maxRolesPerUser: 64,
  /** Members of one group, as the API allows. */
  maxGroupMembers: 500,
  /** Writes per plan batch: one bulk request to Cosmos DB holds at most 100 operations. */
  batchOperations: 100,
  /** Rejected rows listed on a run (all are counted per file). */
  listedRejections: 1000,
  /** Rows shown per kind of change in a run's diff. */
  sampleRows: 5,
  /** How long an upload URL is valid. */
  uploadUrlMinutes: 15,
  /**
   * How long the holder of a municipality's import lock may go without renewing it before a new
   * import may take the lock over. A run renews it at every step (plan, each batch, finish); the
   * longest step, planning ten times the size, takes minutes, and a failing step is retried
   * within seconds to minutes, so only a run that is gone (a start that never reached the
   * orchestration, a host that lost it) stays silent this long.
   */
  staleLockMinutes: 30,
  /**
   * The plan step's V8 heap, in a worker thread of its own (docs/roster-import.md, "Memory while
   * planning"). The small young generation is what keeps the plan's garbage from growing the
   * process with the rows. The old generation holds little per user or enrollment (those tables
   * are typed arrays and temporary files, outside this heap) but every class: 200,000 classes,
   * `classes.csv`'s row limit, outgrew 64 MiB and planned within 128, so 256 leaves room. A
   * roster that outgrows it fails its run with the reason, not the process.
   */
  planHeap: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 },
} as const;
