import type { TokenIdentity } from '../identity/principal.js';
import type { FreeTextDeclaration } from './free-text-sweep.js';

/** Whose data: a student or a staff user of one municipality. */
export interface PrivacySubject {
  municipalityId: string;
  type: 'student' | 'user';
  id: string;
  /** Staff only: the sign-in identity, for data keyed by it rather than by user id. */
  identity?: TokenIdentity;
  /** When the subject was registered: bounds searches by time (audit months). */
  since?: string;
  /** When the controller's erasure instruction was accepted: clocks that run from the deletion start here. */
  acceptedAt?: string;
}

/** Where a provider keeps personal data: a Cosmos container and document types, or a blob prefix. */
export type DataLocation =
  | { kind: 'cosmos'; container: string; documentTypes: readonly string[] }
  | { kind: 'blob'; container: string; prefix: string };

export interface ExportSection {
  provider: string;
  description: string;
  items: Record<string, unknown>[];
}

/**
 * One module's declaration of the personal data it stores, and how to export and erase it
 * (the pattern of Moodle's privacy API). Erasure, verification and export iterate the
 * registry; a document type no provider declares fails a test.
 */
export interface PrivacyProvider {
  name: string;
  locations: readonly DataLocation[];
  /** Categories of personal data (empty: the provider declares data that is not personal). */
  categories: readonly string[];
  purpose: string;
  retention: string;
  subjects: readonly PrivacySubject['type'][];
  /**
   * Personal data that no registered student or staff account can be linked to (e.g. a
   * complaint from anyone): why, and how it is handled instead.
   */
  unlinkedSubjects?: string;
  export(subject: PrivacySubject): Promise<ExportSection>;
  /**
   * Called as the erasure instruction is accepted, before any erasing: for a provider whose
   * promise runs from the deletion (P10 counts 3 months from it). Idempotent.
   */
  accepted?(subject: PrivacySubject & { acceptedAt: string }): Promise<void>;
  /**
   * Whether a write of this provider's that may name people of the municipality again (an
   * import's batch) checked the erasures before one accepted at `acceptedAt` and may still land:
   * the erasure erases nobody until it has, or what it verified gone would come back.
   */
  writesInFlight?(municipalityId: string, acceptedAt: string): Promise<boolean>;
  /** Removes or anonymises the subject's data here. Idempotent: running it twice is harmless. */
  erase(subject: PrivacySubject): Promise<number>;
  /** Describes what of the subject is still here (empty when erased). */
  verify(subject: PrivacySubject): Promise<string[]>;
  /**
   * Free text kept here, in which people may name anyone: an erasure redacts the erased
   * person's names in it (the name sweep), and verifies none is left.
   */
  freeText?: FreeTextDeclaration;
  /**
   * Order of erasure: lower first. The subject's own document goes last, so a crash leaves
   * the tombstoned subject to find and resume from.
   */
  order?: number;
}

export class PrivacyRegistry {
  private readonly providers: PrivacyProvider[] = [];

  register(provider: PrivacyProvider): this {
    if (this.providers.some((existing) => existing.name === provider.name)) throw new Error(`privacy provider ${provider.name} registered twice`);
    this.providers.push(provider);
    return this;
  }

  /** Providers that hold data of this kind of subject, in erasure order. */
  for(type: PrivacySubject['type']): PrivacyProvider[] {
    return this.all().filter((provider) => provider.subjects.includes(type));
  }

  all(): PrivacyProvider[] {
    return [...this.providers].sort((a, b) => (a.order ?? 50) - (b.order ?? 50));
  }
}
