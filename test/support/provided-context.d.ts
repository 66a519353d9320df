// Values the test global setup provides to every test project.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Origin of the Stripe fake (test/fakes/stripe). */
    stripeFakeUrl: string;
  }
}
