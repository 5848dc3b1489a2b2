import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { replaceIfMatch, type Versioned } from '../data/documents.js';
import { problems } from '../http/problem.js';
import type { Clock } from '../clock.js';

export const STUDENT_VISIBILITY = ['group', 'school', 'municipality'] as const;

export const settingsSchema = z.object({
  studentVisibility: z.enum(STUDENT_VISIBILITY),
  leaverReportRetentionMonths: z.number().int().min(1).max(12),
  updatedAt: z.string(),
});

export const settingsPatchSchema = z
  .strictObject({
    studentVisibility: z.enum(STUDENT_VISIBILITY).optional(),
    leaverReportRetentionMonths: z.number().int().min(1).max(12).optional(),
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
    if (resource) return { value: resource, etag };
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
