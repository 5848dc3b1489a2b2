import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { BlobEmailSink } from '../../lib/governance/email/blob-email-sink.js';
import type { OutgoingEmail } from '../../lib/governance/email/email-sender.js';
import { CLAIM_LEASE_MS } from '../../lib/governance/email/outbox.js';
import { createLogger } from '../../lib/logger.js';
import { DEV_ISSUER, generateDevKeys } from '../../local/dev-issuer.js';
import { startLocalApp, type LocalApp } from '../../local/local-app.js';
import { simulatedClock } from './helpers.js';

/**
 * The mailing job under an email sender that fails on purpose (an injected fault; the
 * rest is real: Cosmos emulator and Azurite). Job-level, so it drives the services
 * directly instead of HTTP.
 */
const clock = simulatedClock('2031-06-01T08:00:00.000Z');
const logLines: string[] = [];
let app: LocalApp;
let failuresLeft = 0;
const delivered: OutgoingEmail[] = [];
const emails: string[] = [];

beforeAll(async () => {
  app = await startLocalApp({
    cosmosEndpoint: inject('cosmosEndpoint'),
    blobEndpoint: inject('blobEndpoint'),
    devKeys: await generateDevKeys(),
    port: 0,
    env: { COSMOS_DATABASE: `test-${randomUUID().slice(0, 8)}` },
    clock,
    logger: createLogger((_level, line) => logLines.push(line)),
    emailSender: {
      async send(email) {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('injected send failure');
        }
        delivered.push(email);
        await new BlobEmailSink(app.services.blob).send(email);
      },
    },
  });
  await app.services.municipalities.register({ id: '5001', name: 'Trondheim' });
  for (let index = 0; index < 3; index += 1) {
    const subject = `mailing-fault-${randomUUID()}`;
    emails.push(`${subject}@example.test`);
    await app.services.users.create('5001', {
      name: `Person ${index}`,
      email: `${subject}@example.test`,
      roles: ['teacher'],
      schoolIds: [],
      identity: { issuer: DEV_ISSUER, subject },
    });
  }
});
afterAll(() => app.close());

async function mailingStatus(id: string): Promise<string | undefined> {
  const { resource } = await app.services.cosmos.containers.platform.item(id, 'mailings').read<{ status: string }>();
  return resource?.status;
}

describe('mailing delivery with an injected send failure', () => {
  it('a failed send is retried after its claim expires; every recipient gets exactly one email', async () => {
    const { mailings } = app.services.governance;
    await mailings.create({ id: 'fault-notice', kind: 'policy-notice', subject: 'Varsel', text: 'Tekst', audience: { kind: 'all-users' } });

    failuresLeft = 1;
    await mailings.runPending();
    expect(delivered).toHaveLength(0);
    expect(await mailingStatus('fault-notice')).toBe('delivering');

    // The failed message is still claimed; the others go out on the next run.
    await mailings.runPending();
    expect(delivered).toHaveLength(2);
    expect(await mailingStatus('fault-notice')).toBe('delivering');

    clock.set(new Date(clock.now().getTime() + CLAIM_LEASE_MS + 60_000));
    await mailings.runPending();
    await mailings.runPending();
    expect(delivered.map((email) => email.to).sort()).toEqual([...emails].sort());
    expect(await mailingStatus('fault-notice')).toBe('done');
  });

  it('logs the failure without the address or the text', () => {
    const failure = logLines.find((line) => line.includes('email-send-failed'));
    expect(failure).toContain('fault-notice');
    for (const line of logLines) {
      expect(line).not.toContain('@example.test');
      expect(line).not.toContain('Tekst');
    }
  });
});
