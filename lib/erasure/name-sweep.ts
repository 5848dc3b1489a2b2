import type { PrivacyRegistry } from '../privacy/privacy-provider.js';
import { NameMatcher } from '../privacy/name-mentions.js';
import type { NameSweepState, StoredErasure } from './erasure-model.js';

/** Documents per sweep activity: each is one read and at most one write, well inside an activity's time. */
export const NAME_SWEEP_PAGE_SIZE = 200;

export interface NameSweepStep {
  /** The state after this page (undefined when there was nothing to sweep). */
  state: NameSweepState | undefined;
  /** Mentions replaced on this page, by provider. */
  redacted: Record<string, number>;
  scanned: number;
  more: boolean;
}

/** The first state: nothing swept yet. */
export function startingSweep(subjects: NameSweepState['subjects']): NameSweepState | undefined {
  return subjects.some((subject) => subject.phrases.length > 0) ? { subjects, phase: 'redact', provider: 0, cursor: null, remaining: 0 } : undefined;
}

/**
 * One bounded page of the name sweep of an erasure (docs/name-sweep.md): the providers that
 * declare free text, in registry order, each paged through twice, first replacing the erased
 * people's names, then only counting what is left. Pure over its input state: the caller
 * stores the state it returns, so a crashed page is simply swept again (a replaced mention is
 * not found twice).
 */
export async function sweepNamesPage(registry: PrivacyRegistry, erasure: StoredErasure, limit = NAME_SWEEP_PAGE_SIZE): Promise<NameSweepStep> {
  const state = erasure.nameSweep;
  if (!state || state.phase === 'done') return { state, redacted: {}, scanned: 0, more: false };
  const providers = registry.all().filter((provider) => provider.freeText?.sweep);
  const provider = providers[state.provider];
  if (!provider?.freeText?.sweep) {
    const next: NameSweepState = state.phase === 'redact' ? { ...state, phase: 'verify', provider: 0, cursor: null, remaining: 0 } : { ...state, phase: 'done', cursor: null };
    return { state: next, redacted: {}, scanned: 0, more: next.phase !== 'done' };
  }
  const matcher = new NameMatcher(state.subjects);
  const edit = state.phase === 'redact' ? (text: string) => matcher.redact(text) : (text: string) => ({ text, mentions: matcher.count(text) });
  const page = await provider.freeText.sweep(erasure.municipalityId, edit, { cursor: state.cursor ?? undefined, limit });
  const next: NameSweepState =
    page.cursor === null ? { ...state, provider: state.provider + 1, cursor: null } : { ...state, cursor: page.cursor };
  if (state.phase === 'verify') next.remaining = state.remaining + page.mentions;
  return { state: next, redacted: state.phase === 'redact' && page.mentions > 0 ? { [provider.name]: page.mentions } : {}, scanned: page.scanned, more: true };
}
