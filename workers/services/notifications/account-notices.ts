/**
 * Security notices to an account's owner (ADR 0088, ASVS V2.2.3): repeated
 * failed sign-ins (`account.sign_in_failures`, at most one per window) and a
 * password change (`account.password_changed`). They travel the same path as
 * order notifications — an outbox row in the transaction, the EVENTS queue,
 * the notification log as the once-only point — but by email only, to the
 * address the account signs in with, whatever the marketing and order
 * preferences say: a security notice is not optional. Nothing personal is in
 * the event; the address is read at send time, so an erased account gets none.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { userProfiles, users } from '../../../db/schema/index';
import { log } from '../../../domain/log';
import type { AccountNoticeType } from '../outbox';
import type { EventEnvelope } from '../events/envelope';
import type { Senders } from '../../providers/messaging/types';
import { captureMessage } from './dev-outbox';
import { claimSend, recordAttempt, recordFailedAttempt } from './log';
import { pickLocale, type Locale } from './templates/index';
import { sha256Hex } from '../digest';

export const ACCOUNT_NOTICE_TYPES: readonly AccountNoticeType[] = ['account.sign_in_failures', 'account.password_changed'];
const isAccountNotice = (type: string): type is AccountNoticeType => (ACCOUNT_NOTICE_TYPES as readonly string[]).includes(type);

interface NoticeVars {
  failures: number;
  windowMinutes: number;
}

const TEXTS: Record<Locale, Record<AccountNoticeType, (v: NoticeVars) => { subject: string; text: string }>> = {
  en: {
    'account.sign_in_failures': (v) => ({
      subject: 'Failed sign-ins to your account',
      text:
        `There were ${v.failures} failed attempts to sign in to your account in the last ${v.windowMinutes} minutes.\n\n` +
        'If it was you, there is nothing to do. If not, someone may be guessing your password: your account is not locked, and devices you have signed in on before keep working. ' +
        'Choose a strong password you use nowhere else, and change it in your account settings if you think it is known.',
    }),
    'account.password_changed': () => ({
      subject: 'Your password was changed',
      text:
        'The password of your account was just changed, and every device was signed out.\n\n' +
        'If it was you, there is nothing to do. If not, contact support at once: someone else may have access to your account.',
    }),
  },
  fr: {
    'account.sign_in_failures': (v) => ({
      subject: 'Échecs de connexion à votre compte',
      text:
        `${v.failures} tentatives de connexion à votre compte ont échoué au cours des ${v.windowMinutes} dernières minutes.\n\n` +
        'Si c’était vous, il n’y a rien à faire. Sinon, quelqu’un essaie peut-être de deviner votre mot de passe : votre compte n’est pas bloqué, et les appareils sur lesquels vous vous êtes déjà connecté continuent de fonctionner. ' +
        'Choisissez un mot de passe solide que vous n’utilisez nulle part ailleurs, et changez-le dans les réglages de votre compte si vous pensez qu’il est connu.',
    }),
    'account.password_changed': () => ({
      subject: 'Votre mot de passe a été modifié',
      text:
        'Le mot de passe de votre compte vient d’être modifié, et tous les appareils ont été déconnectés.\n\n' +
        'Si c’était vous, il n’y a rien à faire. Sinon, contactez le support immédiatement : quelqu’un d’autre a peut-être accès à votre compte.',
    }),
  },
};

const FOOTER: Record<Locale, string> = {
  en: 'You receive this security message because it concerns your account. It cannot be turned off.',
  fr: 'Vous recevez ce message de sécurité car il concerne votre compte. Il ne peut pas être désactivé.',
};

export function renderAccountNotice(type: AccountNoticeType, locale: Locale, vars: NoticeVars): { subject: string; text: string } {
  const { subject, text } = TEXTS[locale][type](vars);
  return { subject, text: `${text}\n\n—\n${FOOTER[locale]}` };
}

export interface AccountNoticeDeps {
  db: Database;
  senders: Senders;
  capture: boolean;
}

/** True when the event must be delivered again (the provider was unavailable). */
export async function notifyAccountEvent(event: EventEnvelope, deps: AccountNoticeDeps): Promise<{ retry: boolean }> {
  if (!isAccountNotice(event.type)) return { retry: false };
  const userId = typeof event.data.userId === 'string' ? event.data.userId : undefined;
  if (!userId) return { retry: false };
  const [account] = await deps.db
    .select({ email: userProfiles.email, locale: users.locale })
    .from(users)
    .innerJoin(userProfiles, eq(userProfiles.userId, users.id))
    .where(and(eq(users.id, userId), eq(users.status, 'active')));
  if (!account) return { retry: false };

  const provider = deps.senders.email.provider;
  const claim = await claimSend(deps.db, { eventId: event.id, channel: 'email', userId }, {
    template: event.type,
    orderId: null,
    recipientHash: await sha256Hex(account.email.toLowerCase()),
    provider,
  });
  if (claim.kind === 'busy') return { retry: true };
  if (claim.kind === 'settled') return { retry: false };

  const locale = pickLocale(account.locale);
  const failures = typeof event.data.failures === 'number' ? event.data.failures : 0;
  const windowSeconds = typeof event.data.windowSeconds === 'number' ? event.data.windowSeconds : 3600;
  const { subject, text } = renderAccountNotice(event.type, locale, { failures, windowMinutes: Math.round(windowSeconds / 60) });
  const started = Date.now();
  try {
    const sent = await deps.senders.email.send({ to: account.email, subject, text, tag: event.type, metadata: { eventId: event.id } });
    await recordAttempt(deps.db, claim.row, { ok: true, provider, providerMessageId: sent.id, latencyMs: Date.now() - started });
    if (deps.capture) await captureMessage(deps.db, { channel: 'email', to: account.email.toLowerCase(), event: event.type, locale, subject, body: text, orderId: null });
    return { retry: false };
  } catch (error) {
    const e = await recordFailedAttempt(deps.db, claim.row, provider, error, started);
    if (e.permanent) log.warn('account notice failed for good', { eventId: event.id, type: event.type });
    return { retry: !e.permanent };
  }
}
