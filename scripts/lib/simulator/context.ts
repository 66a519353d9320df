import type { SimApi } from './client';
import type { LatLng, Random } from './geo';
import type { SimLedger } from './ledger';
import type { SimulationOptions } from './options';

export interface SimMerchantInfo {
  id: string;
  name: string;
  kind: string;
  location: LatLng;
  products: { id: string; name: string; priceCents: number; available: boolean; requiresPrescription: boolean }[];
}

/** Counters beside the order ledger. */
export interface SimStats {
  offersAccepted: number;
  offersDeclined: number;
  fixesSent: number;
  errors: number;
  /** Milliseconds from the socket's `assignment` to the driver's first successful read of the order (ADR 0075). */
  assignmentToReadMs: number[];
  /** Reads of a just-assigned order the API refused (404/403) before one succeeded: 0 when every party agrees. */
  assignmentReadsRefused: number;
  /** Sockets a shard closed with 4002 (the driver rode into another shard's cell and was handed over, ADR 0122). */
  handovers: number;
  /** Of those, the ones that moved a driver carrying an order (the order stays with its shard and follows the driver). */
  handoversWithOrder: number;
}

/** What every simulated actor shares. */
export interface SimContext {
  options: SimulationOptions;
  api: SimApi;
  rand: Random;
  cityId: string;
  cityCenter: LatLng;
  merchants: SimMerchantInfo[];
  /** Delivery codes the simulated customers received, for their simulated doorsteps. */
  pins: Map<string, string>;
  /** Orders the simulated customers placed (the simulated merchants act on these at once). */
  simOrders: Set<string>;
  /** When each simulated order reached each step (the summary line). */
  ledger: SimLedger;
  stats: SimStats;
  stopped: () => boolean;
  /** Logs a failure at most once per key per minute (a dead API must not flood the console). */
  warn: (key: string, line: string) => void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
