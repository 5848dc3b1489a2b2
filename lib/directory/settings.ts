import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { replaceIfMatch, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Clock } from '../clock.js';

export const STUDENT_VISIBILITY = ['group', 'school', 'municipality'] as const;

/**
 * Year levels pupils normally leave a school from: 7 (end of barneskole), 10 (end of
 * ungdomsskole) and the upper-secondary levels 11-13. A leaver report for a pupil in any
 * other year level is made, with a warning in its run (a municipality with 1-10 schools
 * drops 7).
 */
export const DEFAULT_LEAVER_YEAR_LEVELS = [7, 10, 11, 12, 13];

const leaverYearLevels = z
  .array(z.number().int().min(1).max(13))
  .min(1)
  .max(13)
  .refine((levels) => new Set(levels).size === levels.length, 'must not repeat a year level');

export const settingsSchema = z.object({
  studentVisibility: z.enum(STUDENT_VISIBILITY),
  leaverReportRetentionMonths: z.number().int().min(1).max(12),
  leaverYearLevels: z.array(z.number().int()),
  updatedAt: z.string(),
});

export const settingsPatchSchema = z
  .strictObject({
    studentVisibility: z.enum(STUDENT_VISIBILITY).optional(),
    leaverReportRetentionMonths: z.number().int().min(1).max(12).optional(),
    leaverYearLevels: leaverYearLevels.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one setting');

export type Settings = z.infer<typeof settingsSchema>;

interface StoredSettings extends Settings {
  id: 'settings';
  municipalityId: string;
  type: 'settings';
}

const SETTINGS_ID = 'settings';

/** The controller's choices for one municipality (P5 visibility, P4 retention). */
export class SettingsStore {
  private readonly cache = new Map<string, { value: Settings; expiresAt: number }>();

  constructor(
    private readonly directory: Container,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 30_000,
  ) {}

  defaults(municipalityId: string): StoredSettings {
    return {
      id: SETTINGS_ID,
      municipalityId,
      type: 'settings',
      studentVisibility: 'group',
      leaverReportRetentionMonths: 12,
      leaverYearLevels: DEFAULT_LEAVER_YEAR_LEVELS,
      updatedAt: this.clock.now().toISOString(),
    };
  }

  /** Idempotent: an existing settings document is kept as it is. */
  async initialise(municipalityId: string): Promise<void> {
    try {
      await this.directory.items.create(this.defaults(municipalityId));
    } catch (error) {
      if (!isCosmosStatus(error, 409)) throw error;
    }
  }

  async get(municipalityId: string): Promise<Versioned<Settings>> {
    const { resource, etag } = await this.directory.item(SETTINGS_ID, municipalityId).read<StoredSettings>();
    // Settings stored before a setting existed get its default.
    if (resource) return { value: { ...this.defaults(municipalityId), ...resource }, etag };
    // A municipality registered before its settings were written gets the defaults now.
    await this.initialise(municipalityId);
    const again = await this.directory.item(SETTINGS_ID, municipalityId).read<StoredSettings>();
    if (!again.resource) throw problems.notFound();
    return { value: again.resource, etag: again.etag };
  }

  async update(
    municipalityId: string,
    patch: z.infer<typeof settingsPatchSchema>,
    /** Unquoted ETag the caller read. */
    ifMatch: string,
  ): Promise<Versioned<Settings>> {
    const current = (await this.get(municipalityId)) as Versioned<StoredSettings>;
    const next: StoredSettings = { ...current.value, ...patch, updatedAt: this.clock.now().toISOString() };
    const updated = await replaceIfMatch(this.directory, municipalityId, current, next, ifMatch);
    this.cache.delete(municipalityId);
    return updated;
  }

  /**
   * Visibility is consulted on every teacher request, so it is cached briefly per process;
   * a change applies here at once and on other instances within the TTL.
   */
  async visibility(municipalityId: string): Promise<Settings['studentVisibility']> {
    const cached = this.cache.get(municipalityId);
    if (cached && cached.expiresAt > Date.now()) return cached.value.studentVisibility;
    const { value } = await this.get(municipalityId);
    this.cache.set(municipalityId, { value, expiresAt: Date.now() + this.cacheTtlMs });
    return value.studentVisibility;
  }
}
