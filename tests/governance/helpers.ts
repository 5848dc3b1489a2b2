import type { Clock } from '../../lib/clock.js';
import { LOCAL_EMAIL_SINK_CONTAINER } from '../../lib/governance/email/blob-email-sink.js';
import type { OutgoingEmail } from '../../lib/governance/email/email-sender.js';
import type { TestApp } from '../support/test-app.js';

export interface SimulatedClock extends Clock {
  set(at: string | Date): void;
  advanceDays(days: number): void;
}

export function simulatedClock(start: string): SimulatedClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at);
    },
    advanceDays: (days) => {
      current = new Date(current.getTime() + days * 24 * 60 * 60 * 1000);
    },
  };
}

/**
 * The messages the local email sink (a blob container in Azurite) holds for one mailing.
 * Azurite is shared by the test files, so callers look for their own recipients.
 */
export async function sinkMessages(test: TestApp, mailingId: string): Promise<OutgoingEmail[]> {
  const container = test.app.services.blob.getContainerClient(LOCAL_EMAIL_SINK_CONTAINER);
  if (!(await container.exists())) return [];
  const messages: OutgoingEmail[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${mailingId}/` })) {
    const content = await container.getBlobClient(blob.name).downloadToBuffer();
    messages.push(JSON.parse(content.toString('utf8')) as OutgoingEmail);
  }
  return messages;
}

/** Waits for the background work requests started (mailing fan-out) to finish. */
export function backgroundSettled(test: TestApp): Promise<void> {
  return test.app.services.governance.background.idle();
}
