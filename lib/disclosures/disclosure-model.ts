import { z } from 'zod';
import { instructionReferenceSchema } from '../erasure/erasure-model.js';
import { nameText } from '../http/text-input.js';

/** The legal bases on which the statement allows a disclosure to a third party (P13). */
export const DISCLOSURE_BASES = ['consent', 'legal-obligation', 'court-order'] as const;

/** What may be disclosed, named by category so the register never holds the data itself. */
export const DATA_CATEGORIES = [
  'identity',
  'contact-details',
  'school-placement',
  'group-membership',
  'assessments',
  'evaluations',
  'grades',
  'account',
  'usage',
  'audit-trail',
] as const;

export const MAX_SUBJECTS_PER_DISCLOSURE = 100;

const unique = <T>(items: readonly T[]) => new Set(items).size === items.length;

/** Instant or day; a day means its start (UTC). */
const instantSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).transform((value) => new Date(value.length === 10 ? `${value}T00:00:00.000Z` : value).toISOString());

export const disclosureInputSchema = z.strictObject({
  /** An organisation (a court, an authority, a research body), not a person: no e-mail, no free text. */
  recipient: nameText({ min: 2, max: 200 }).regex(/^[\p{L}\p{N}][\p{L}\p{N} .,&()'/-]*$/u, 'must be the name of an organisation'),
  basis: z.enum(DISCLOSURE_BASES),
  /** The court order's, the law's or the consent's case reference. */
  reference: instructionReferenceSchema,
  dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1).max(DATA_CATEGORIES.length).refine(unique, 'categories must not repeat'),
  subjectIds: z.array(z.uuid()).min(1).max(MAX_SUBJECTS_PER_DISCLOSURE).refine(unique, 'ids must not repeat'),
  disclosedAt: instantSchema.optional(),
});

export type DisclosureInput = z.infer<typeof disclosureInputSchema>;

export const disclosureSchema = z.object({
  id: z.string(),
  recipient: z.string(),
  basis: z.enum(DISCLOSURE_BASES),
  reference: z.string(),
  dataCategories: z.array(z.enum(DATA_CATEGORIES)),
  /** Students or staff users of the municipality; `erased` where the person has since been erased. */
  subjectIds: z.array(z.string()),
  disclosedAt: z.string(),
  registeredBy: z.string().nullable(),
  createdAt: z.string(),
});

export type Disclosure = z.infer<typeof disclosureSchema>;

export interface StoredDisclosure extends Disclosure {
  type: 'disclosure';
  municipalityId: string;
}
