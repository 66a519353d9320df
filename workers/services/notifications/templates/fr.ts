import type { Catalog } from './types';

const livreur = (name?: string) => name ?? 'Votre livreur';

export const fr: Catalog = {
  'customer.order.placed': (v) => ({
    title: `Commande ${v.orderRef} confirmée`,
    body: `${v.merchantName} a bien reçu votre commande ${v.orderRef}${v.total ? ` (${v.total})` : ''}.${v.window ? ` Prévue pour ${v.window}.` : ''} Votre code de livraison est ${v.pin} : donnez-le au livreur à la porte.`,
    details: v.trackingUrl ? `Suivez votre commande : ${v.trackingUrl}` : undefined,
  }),
  'customer.order.preparing': (v) => ({
    title: 'Votre commande est en préparation',
    body: `${v.merchantName} a accepté votre commande ${v.orderRef} et la prépare.`,
  }),
  'customer.order.assigned': (v) => ({
    title: 'Un livreur s’en occupe',
    body: `${livreur(v.driverName)} livrera votre commande ${v.orderRef} de ${v.merchantName}.`,
  }),
  'customer.order.in_delivery': (v) => ({
    title: 'Votre commande est en route',
    body: `${livreur(v.driverName)} a récupéré votre commande ${v.orderRef}. Code de livraison : ${v.pin}. Suivez-la : ${v.trackingUrl}`,
  }),
  'customer.order.arriving_soon': (v) => ({
    title: 'Votre livreur arrive',
    body: `Votre commande ${v.orderRef} arrive dans environ ${v.etaMinutes ?? 5} min. Préparez votre code ${v.pin}.`,
  }),
  'customer.order.delivered': (v) => ({
    title: 'Votre commande a été livrée',
    body: `La commande ${v.orderRef} de ${v.merchantName} a été livrée. Bon appétit !`,
  }),
  'customer.order.cancelled': (v) => ({
    title: 'Votre commande a été annulée',
    body: `La commande ${v.orderRef} de ${v.merchantName} a été annulée${v.reason ? ` (${v.reason})` : ''}. Si vous avez payé, vous serez remboursé.`,
  }),
  'customer.order.rejected': (v) => ({
    title: 'Votre commande n’a pas pu être acceptée',
    body: `${v.merchantName} ne peut pas prendre votre commande ${v.orderRef}. Si vous avez payé, vous serez remboursé.`,
  }),
  'customer.order.failed': (v) => ({
    title: 'La livraison n’a pas pu aboutir',
    body: `Nous n’avons pas pu livrer votre commande ${v.orderRef} de ${v.merchantName}. Notre service client va vous contacter.`,
  }),
  'customer.order.released': (v) => ({
    title: 'Votre commande programmée commence',
    body: `${v.merchantName} a maintenant votre commande ${v.orderRef} à préparer${v.window ? ` pour ${v.window}` : ''}. Une fois acceptée, elle ne peut plus être annulée sans frais.`,
  }),
  'customer.payment.refunded': (v) => ({
    title: 'Remboursement effectué',
    body: `${v.refund ?? 'Votre paiement'} pour la commande ${v.orderRef} a été remboursé. Il peut apparaître sur votre relevé sous quelques jours.`,
  }),
  'merchant.order.placed': (v) => ({
    title: `Nouvelle commande ${v.orderRef}`,
    body: v.window
      ? `Nouvelle commande programmée ${v.orderRef}${v.total ? ` (${v.total})` : ''} pour ${v.merchantName}, pour ${v.window}. Vous pourrez l’accepter à partir de ${v.releaseTime ?? 'sa libération'}.`
      : `Nouvelle commande ${v.orderRef}${v.total ? ` (${v.total})` : ''} pour ${v.merchantName}. Ouvrez l’application marchand pour l’accepter.`,
  }),
  'merchant.order.released': (v) => ({
    title: `Commande programmée ${v.orderRef} : à préparer maintenant`,
    body: `La commande programmée ${v.orderRef}${v.total ? ` (${v.total})` : ''} pour ${v.merchantName} est attendue${v.window ? ` ${v.window}` : ''}. Acceptez-la dans l’application marchand et commencez la préparation.`,
  }),
  'merchant.order.escalated': (v) => ({
    title: `La commande ${v.orderRef} attend toujours`,
    body: `La commande ${v.orderRef}${v.total ? ` (${v.total})` : ''} pour ${v.merchantName} n’a pas été acceptée. Acceptez-la ou refusez-la maintenant dans l’application marchand, sinon elle sera annulée et remboursée.`,
  }),
  'merchant.order.cancelled': (v) => ({
    title: `Commande ${v.orderRef} annulée`,
    body: `La commande ${v.orderRef} a été annulée${v.reason ? ` (${v.reason})` : ''}. Ne la préparez pas.`,
  }),
  'driver.dispatch.offer': (v) => ({
    title: 'Nouvelle course proposée',
    body: `Retrait chez ${v.merchantName}${v.payout ? `, rémunération ${v.payout}` : ''}. Ouvrez l’application pour accepter${v.expiresInSeconds ? ` sous ${v.expiresInSeconds} s` : ''}.`,
  }),
  'driver.dispatch.ping': (v) => ({
    title: 'Êtes-vous toujours là ?',
    body: `Nous n’avons pas de nouvelles de vous depuis quelques minutes pour la commande ${v.orderRef} (${v.merchantName}). Ouvrez l’application pour nous confirmer que vous êtes en route.`,
  }),
  'driver.dispatch.released': (v) => ({
    title: 'Commande confiée à un autre livreur',
    body: `La commande ${v.orderRef} de ${v.merchantName} a été confiée à un autre livreur : nous n’avions plus de nouvelles de vous depuis plusieurs minutes. Repassez en ligne quand vous êtes prêt.`,
  }),
};

/** La dernière ligne de l’e-mail, selon qui le reçoit (la première partie de la clé du modèle). */
export const frFooter = {
  customer: 'Vous recevez ce message au sujet d’une commande que vous avez passée. Gérez vos notifications dans les réglages de votre compte.',
  merchant: 'Vous recevez ce message au sujet d’une commande passée à votre commerce. Gérez vos notifications dans les réglages de votre compte.',
  driver: 'Vous recevez ce message au sujet d’une livraison qui vous est proposée ou confiée. Gérez vos notifications dans les réglages de votre compte.',
} as const;
