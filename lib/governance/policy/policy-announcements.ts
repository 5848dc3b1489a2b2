import type { BackgroundWork } from '../background-work.js';
import type { MailingDefinition, Mailings } from '../email/mailings.js';
import type { PolicyMeta, PolicyText, PolicyVersionInput, PolicyVersions } from './policy-versions.js';

/**
 * Publishing a policy version, and the prominent notice a major change needs (P18): an
 * email to every registered user, fanned out in the background. The scheduled job calls
 * `announceAll`, so a notice whose mailing was never recorded (a crash right after the
 * publication) is still sent.
 */
export class PolicyAnnouncements {
  constructor(
    private readonly versions: PolicyVersions,
    private readonly mailings: Mailings,
    private readonly background: BackgroundWork,
  ) {}

  async publish(input: PolicyVersionInput): Promise<PolicyText> {
    const { text, meta, isNewVersion } = await this.versions.publish(input);
    if (isNewVersion && meta.changeType === 'major') {
      await this.mailings.create(noticeOf(meta));
      this.background.start('mailings', () => this.mailings.runPending());
    }
    return text;
  }

  /** Makes sure every major version has its notice mailing; idempotent. */
  async announceAll(): Promise<void> {
    for (const meta of await this.versions.catalog()) {
      if (meta.changeType === 'major') await this.mailings.create(noticeOf(meta));
    }
  }
}

function noticeOf(meta: PolicyMeta): MailingDefinition {
  const date = meta.effectiveFrom.slice(0, 10);
  const lines = [
    'Hei,',
    '',
    `personvernerklæringen for Engage er endret. Den nye versjonen (${meta.version}) gjelder fra ${date}.`,
    'Du finner den i Engage under Personvern, sammen med et arkiv over alle tidligere versjoner.',
  ];
  if (meta.reducesRights) {
    lines.push(
      '',
      'Endringen begrenser rettighetene dine. Den gjelder derfor ikke for deg før du har godtatt den i Engage;',
      'inntil da gjelder den forrige versjonen for deg.',
    );
  }
  lines.push('', 'Hilsen Conexus');
  return {
    id: `policy-notice.${meta.version}`,
    kind: 'policy-notice',
    subject: `Endringer i personvernerklæringen for Engage (versjon ${meta.version})`,
    text: lines.join('\n'),
    audience: { kind: 'all-users' },
  };
}
