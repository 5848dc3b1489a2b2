import { z } from 'zod';

/**
 * Purposes beyond those the privacy statement names. The statement covers running,
 * protecting and improving the service and telling users about changes (P6-P8, P18);
 * anything else needs the user's consent first (P9). A new purpose is added here, and
 * its processing goes through `ConsentStore.requireConsent`.
 */
export const CONSENT_PURPOSES = {
  newsletter: {
    title: 'Newsletter',
    description: 'News and tips about Engage by email, beyond the service and policy notices the privacy statement covers.',
  },
  'product-research': {
    title: 'Product research',
    description: 'Invitations to interviews and surveys that help us develop Engage.',
  },
} as const;

export type ConsentPurpose = keyof typeof CONSENT_PURPOSES;

export const consentPurposeSchema = z.enum(Object.keys(CONSENT_PURPOSES) as [ConsentPurpose, ...ConsentPurpose[]]);

export function isConsentPurpose(value: string): value is ConsentPurpose {
  return Object.hasOwn(CONSENT_PURPOSES, value);
}
