import type { RosterArchive } from './roster-archive.js';
import { RosterArchiveRefused } from './roster-refusal.js';
import { MANIFEST_FILE as MANIFEST, ROSTER_FILE_KEYS, ROSTER_FILES, type RosterFileKey } from './roster-files.js';
import { ROSTER_LIMITS } from './roster-limits.js';

export type ImportMode = 'bulk' | 'delta';
export type FileMode = ImportMode | 'absent';
export type RosterModes = Record<RosterFileKey, FileMode>;

const FILE_MODES: readonly string[] = ['bulk', 'delta', 'absent'];

/**
 * `manifest.csv` decides whether a zip is a OneRoster 1.2 set at all, and which files it
 * holds in which mode. Anything else — no manifest, another version, a file the manifest
 * promises but the zip lacks, a mode other than the import's — refuses the whole file
 * before anything is read from it, let alone written.
 */
export async function readManifest(archive: RosterArchive, mode: ImportMode): Promise<RosterModes> {
  if (!archive.has(MANIFEST)) throw new RosterArchiveRefused('the zip has no manifest.csv: it is not a OneRoster CSV set');
  // Read whole into a map: its declared size (which inflation cannot exceed) bounds it.
  if ((archive.inflatedSize(MANIFEST) ?? 0) > ROSTER_LIMITS.maxManifestBytes) throw new RosterArchiveRefused(`manifest.csv inflates beyond ${ROSTER_LIMITS.maxManifestBytes} bytes`);
  const properties = new Map<string, string>();
  for await (const { record } of archive.rows(MANIFEST, (header) => {
    if (!header.includes('propertyName') || !header.includes('value')) throw new RosterArchiveRefused('manifest.csv must have the columns propertyName and value');
    return header.map((name) => (name === 'propertyName' || name === 'value' ? name : false));
  })) {
    const name = (record.propertyName ?? '').trim();
    if (properties.has(name)) throw new RosterArchiveRefused("manifest.csv names a property twice");
    properties.set(name, (record.value ?? '').trim());
  }
  const version = properties.get('oneroster.version');
  if (version !== '1.2') throw new RosterArchiveRefused(version ? 'manifest.csv: oneroster.version must be 1.2' : 'manifest.csv has no oneroster.version: it is not a OneRoster 1.2 set');
  const modes = {} as RosterModes;
  for (const key of ROSTER_FILE_KEYS) {
    const declared = properties.get(`file.${key}`) ?? 'absent';
    if (!FILE_MODES.includes(declared)) throw new RosterArchiveRefused(`manifest.csv: file.${key} must be bulk, delta or absent`);
    if (declared !== 'absent' && declared !== mode) throw new RosterArchiveRefused(`manifest.csv: file.${key} is ${declared}, but this is a ${mode} import`);
    if (declared !== 'absent' && !archive.has(ROSTER_FILES[key].file)) throw new RosterArchiveRefused(`manifest.csv lists ${ROSTER_FILES[key].file}, which the zip does not hold`);
    modes[key] = declared as FileMode;
  }
  if (modes.orgs === 'absent' && modes.users === 'absent' && modes.classes === 'absent' && modes.enrollments === 'absent') {
    throw new RosterArchiveRefused('manifest.csv lists none of orgs, users, classes or enrollments: nothing to import');
  }
  return modes;
}
