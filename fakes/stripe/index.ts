export { startStripeFake, type StripeFake, type StripeFakeOptions } from './server';
export { signedPayload } from './webhooks';
