/**
 * What a local stand-in for the outside world is to `npm start`, the browser
 * tests and the benchmarks (scripts/lib/local-services.ts lists them): it
 * starts on loopback and returns the Worker variables that point the real
 * provider clients at it. The fakes own this shape so they import nothing
 * of scripts/ (docs/architecture.md, "Layers").
 */
export interface LocalServiceContext {
  /** Origin of the Worker (for fakes that call back, e.g. signed webhooks). */
  apiOrigin: string;
  /** The local secrets the Worker runs with (scripts/lib/local-env.ts). */
  secrets: Record<string, string>;
  log: (line: string) => void;
  /**
   * A folder where a fake keeps what it holds (a JSON file of its own) across
   * restarts of `npm start`; absent = memory only (tests).
   */
  stateDir?: string;
}

export interface RunningLocalService {
  name: string;
  vars: Record<string, string>;
  /** Shown in the start banner, e.g. a dashboard of what the fake received. */
  url?: string;
  /** Origins of what the service runs, for harnesses that drive it (not shown in the banner). */
  endpoints?: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalService {
  name: string;
  start(ctx: LocalServiceContext): Promise<RunningLocalService>;
}
