/**
 * A throwaway Google service account for local runs and tests: a fresh RSA
 * key pair, the private half in the JSON the Worker gets as
 * FCM_SERVICE_ACCOUNT, the public half for the fake to verify the JWT with.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface LocalServiceAccount {
  /** The JSON the Worker gets as FCM_SERVICE_ACCOUNT. */
  json: string;
  projectId: string;
  clientEmail: string;
  publicKeyPem: string;
}

export function generateServiceAccount(projectId = 'delivery-local'): LocalServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `fcm-sender@${projectId}.iam.gserviceaccount.com`;
  const json = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, projectId, clientEmail, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
