// As production does it: the SDK is imported on the first SMS (workers/queue/senders.ts).
import { handler } from './twilio-bench-worker';

export default handler;
