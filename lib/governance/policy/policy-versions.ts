import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import { readTyped } from '../../data/documents.js';
import { problems } from '../../http/problem.js';
import type { Page } from '../../paging/continuation.js';
import type { ContinuationSealer } from '../../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../../paging/query-page.js';
import { freeText } from '../../http/text-input.js';

export const POLICY_LANGUAGES = ['nb', 'nn', 'en'] as const;
export type PolicyLanguage = (typeof POLICY_LANGUAGES)[number];
const DEFAULT_LANGUAGE: PolicyLanguage = 'nb';

export const policyVersionSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/, 'must be 1-32 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const policyLanguageSchema = z.enum(POLICY_LANGUAGES);

export const policyVersionInputSchema = z
  .strictObject({
    version: policyVersionSchema,
    language: policyLanguageSchema,
    text: freeText({ max: 200_000, multiline: true }),
    changeType: z.enum(['minor', 'major']),
    reducesRights: z.boolean(),
    effectiveFrom: z.iso.datetime({ offset: true }),
  })
  .refine((input) => !input.reducesRights || input.changeType === 'major', {
    path: ['changeType'],
    message: 'a change that reduces rights is a major change',
  });

export type PolicyVersionInput = z.infer<typeof policyVersionInputSchema>;

const metaShape = {
  version: z.string(),
  changeType: z.enum(['minor', 'major']),
  reducesRights: z.boolean(),
  effectiveFrom: z.string(),
  publishedAt: z.string(),
};

export const policyTextSchema = z.object({
  ...metaShape,
  language: policyLanguageSchema,
  text: z.string(),
  /** Every language this version is published in. */
  languages: z.array(policyLanguageSchema),
});

export const policyArchiveEntrySchema = z.object({ ...metaShape, language: policyLanguageSchema });

export type PolicyText = z.infer<typeof policyTextSchema>;
export type PolicyArchiveEntry = z.infer<typeof policyArchiveEntrySchema>;

/** One version across its languages. */
export interface PolicyMeta {
  version: string;
  changeType: 'minor' | 'major';
  reducesRights: boolean;
  effectiveFrom: string;
  publishedAt: string;
  languages: PolicyLanguage[];
}

interface StoredPolicyText {
  id: string;
  pk: typeof POLICY_PARTITION;
  type: 'policy-version';
  version: string;
  language: PolicyLanguage;
  text: string;
  changeType: 'minor' | 'major';
  reducesRights: boolean;
  effectiveFrom: string;
  /** When it was published; named createdAt because that path is indexed for ordering. */
  createdAt: string;
}

type StoredMeta = Omit<StoredPolicyText, 'id' | 'pk' | 'type' | 'text'>;

/** Every version ever published is one small partition: a few texts a year. */
const POLICY_PARTITION = 'privacy-policy';
/** A new version may say it takes effect "now" although the request took a moment. */
const EFFECTIVE_FROM_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * The privacy-policy archive (P18). A text is one version in one language and never
 * changes once published; versions take effect in the order of `effectiveFrom`. The
 * catalogue (versions without their texts) is cached briefly per process, so the
 * current version costs no database call on most requests; a publication refreshes it
 * here at once and on other instances within `cacheMs`.
 */
export class PolicyVersions {
  private cached: { catalog: PolicyMeta[]; loadedAt: number } | undefined;

  constructor(
    private readonly platform: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
    private readonly cacheMs: number,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {}

  async publish(input: PolicyVersionInput): Promise<{ text: PolicyText; meta: PolicyMeta; isNewVersion: boolean }> {
    const now = this.clock.now();
    const effectiveFrom = new Date(input.effectiveFrom).toISOString();
    const catalog = await this.load();
    const existing = catalog.find((meta) => meta.version === input.version);
    if (existing) {
      if (existing.languages.includes(input.language)) {
        throw problems.conflict('This version is archived in this language and can never change; publish a new version');
      }
      if (existing.changeType !== input.changeType || existing.reducesRights !== input.reducesRights || existing.effectiveFrom !== effectiveFrom) {
        throw problems.conflict("A translation must have its version's changeType, reducesRights and effectiveFrom");
      }
    } else {
      if (new Date(effectiveFrom).getTime() < now.getTime() - EFFECTIVE_FROM_TOLERANCE_MS) {
        throw problems.validation([{ field: 'body/effectiveFrom', message: 'a new version cannot take effect in the past' }]);
      }
      if (catalog.some((meta) => meta.effectiveFrom >= effectiveFrom)) {
        throw problems.conflict('A new version must take effect after every earlier version');
      }
    }
    const document: StoredPolicyText = {
      id: textId(input.version, input.language),
      pk: POLICY_PARTITION,
      type: 'policy-version',
      version: input.version,
      language: input.language,
      text: input.text,
      changeType: input.changeType,
      reducesRights: input.reducesRights,
      effectiveFrom,
      createdAt: existing?.publishedAt ?? now.toISOString(),
    };
    try {
      await this.platform.items.create(document);
    } catch (error) {
      if (isCosmosStatus(error, 409)) throw problems.conflict('This version is archived in this language and can never change; publish a new version');
      throw error;
    }
    this.cached = undefined;
    const meta: PolicyMeta = existing
      ? { ...existing, languages: [...existing.languages, input.language] }
      : { version: input.version, changeType: input.changeType, reducesRights: input.reducesRights, effectiveFrom, publishedAt: document.createdAt, languages: [input.language] };
    return { text: toText(document, meta), meta, isNewVersion: !existing };
  }

  /** Versions in force now, oldest first. */
  async effective(): Promise<PolicyMeta[]> {
    const now = this.clock.now().toISOString();
    return (await this.catalog()).filter((meta) => meta.effectiveFrom <= now);
  }

  async find(version: string): Promise<PolicyMeta | undefined> {
    const cached = (await this.catalog()).find((meta) => meta.version === version);
    if (cached) return cached;
    // Published on another instance since the catalogue was cached.
    return (await this.load()).find((meta) => meta.version === version);
  }

  /** The version in force now, in the language asked for when it exists in it. */
  async current(language: PolicyLanguage | undefined): Promise<PolicyText> {
    const meta = (await this.effective()).at(-1);
    if (!meta) throw problems.notFound('No privacy policy is in force yet');
    return this.read(meta, language);
  }

  async text(version: string, language: PolicyLanguage | undefined): Promise<PolicyText> {
    const meta = await this.find(version);
    if (!meta) throw problems.notFound();
    return this.read(meta, language);
  }

  /** The archive, newest publication first: one text per version and language. */
  list(page: PageRequest): Promise<Page<PolicyArchiveEntry>> {
    return queryPage<StoredMeta>(
      this.continuations,
      this.platform,
      {
        select: 'c.version, c.language, c.changeType, c.reducesRights, c.effectiveFrom, c.createdAt',
        where: "c.type = 'policy-version'",
        orderBy: 'c.createdAt DESC',
      },
      [['pk', POLICY_PARTITION]],
      page,
    ).then((result) => ({
      items: result.items.map(({ createdAt, ...entry }) => ({ ...entry, publishedAt: createdAt })),
      continuationToken: result.continuationToken,
    }));
  }

  async catalog(): Promise<PolicyMeta[]> {
    if (this.cached && this.monotonicNow() - this.cached.loadedAt < this.cacheMs) return this.cached.catalog;
    return this.load();
  }

  private async read(meta: PolicyMeta, asked: PolicyLanguage | undefined): Promise<PolicyText> {
    const language = [asked, DEFAULT_LANGUAGE, ...meta.languages].find(
      (candidate): candidate is PolicyLanguage => candidate !== undefined && meta.languages.includes(candidate),
    ) as PolicyLanguage;
    const stored = await readTyped<StoredPolicyText>(this.platform, textId(meta.version, language), [['pk', POLICY_PARTITION]], 'policy-version');
    if (!stored) throw problems.notFound();
    return toText(stored.value, meta);
  }

  private async load(): Promise<PolicyMeta[]> {
    const rows = await queryAll<StoredMeta>(
      this.platform,
      { select: 'c.version, c.language, c.changeType, c.reducesRights, c.effectiveFrom, c.createdAt', where: "c.type = 'policy-version'" },
      [['pk', POLICY_PARTITION]],
    );
    const byVersion = new Map<string, PolicyMeta>();
    for (const row of rows) {
      const meta = byVersion.get(row.version);
      if (meta) meta.languages.push(row.language);
      else {
        byVersion.set(row.version, {
          version: row.version,
          changeType: row.changeType,
          reducesRights: row.reducesRights,
          effectiveFrom: row.effectiveFrom,
          publishedAt: row.createdAt,
          languages: [row.language],
        });
      }
    }
    const catalog = [...byVersion.values()].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
    for (const meta of catalog) meta.languages.sort((a, b) => POLICY_LANGUAGES.indexOf(a) - POLICY_LANGUAGES.indexOf(b));
    this.cached = { catalog, loadedAt: this.monotonicNow() };
    return catalog;
  }
}

function textId(version: string, language: PolicyLanguage): string {
  return `${version}~${language}`;
}

function toText(stored: StoredPolicyText, meta: PolicyMeta): PolicyText {
  return {
    version: stored.version,
    language: stored.language,
    text: stored.text,
    changeType: stored.changeType,
    reducesRights: stored.reducesRights,
    effectiveFrom: stored.effectiveFrom,
    publishedAt: stored.createdAt,
    languages: meta.languages,
  };
}
