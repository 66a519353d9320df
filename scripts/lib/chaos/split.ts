/**
 * A city split into shards for a chaos run (issue 18, ADR 0122, 0125): the
 * demo city's cells set small (`cities.cell_km`, as the runbook's split
 * does), and after the run the check that handover lost nobody: once the
 * simulated drivers stand still, each is held by exactly one shard — the
 * shard of its last fix, or its previous one while within the border margin
 * (HANDOVER_MARGIN_M) — at exactly that last fix.
 */
import type postgres from 'postgres';
import { cityGeometry, type CityGeometry } from '../../../domain/shard-keys';
import { handoverTarget } from '../../../durable-objects/city-shard/handover';
import { DEMO_OPS, DEMO_PASSWORD } from '../demo-city';
import { SimAccount, SimApi } from '../simulator/client';
import { DEFAULTS as SIMULATION_DEFAULTS, type RunningSimulation } from '../simulator/index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets every city's cell size (the demo has one city); the caller restarts the runtime so no isolate keeps the old geometry. */
export async function splitCities(sql: postgres.Sql, cellKm: number): Promise<CityGeometry> {
  const [city] = await sql<{ id: string; lat: number; lng: number; radius: number; cellKm: number | null }[]>`
    UPDATE cities SET cell_km = ${cellKm} RETURNING id, center_lat AS lat, center_lng AS lng, service_radius_km AS radius, cell_km AS "cellKm"`;
  if (!city) throw new Error('no city to split: seed the demo city first');
  // The geometry as the Worker reads it from the same row (loadCityGeometry).
  return cityGeometry(city);
}

export interface Placement {
  shards: number;
  shardsHoldingDrivers: number;
  handovers: number;
  handoversWithOrder: number;
  violations: string[];
}

interface LiveDriver {
  driverId: string;
  location: { lat: number; lng: number } | null;
  shard: string;
}

/**
 * Freezes the simulated drivers (no new fix, apps open), lets their queued
 * fixes reach the shards, then compares each driver's last fix with the
 * operators' live view of the city. Call once no order is open: a driver on
 * a third shard's order is deliberately not handed over until it ends.
 */
export async function checkDriverPlacement(options: {
  baseUrl: string;
  sql: postgres.Sql;
  simulation: RunningSimulation;
  city: CityGeometry;
  clientAddress?: (email: string) => string;
  log: (line: string) => void;
}): Promise<Placement> {
  const { simulation, city } = options;
  const cellKm = city.cellKm!;
  // A few seconds of idle riding first: every idle fix is free to move its driver.
  await sleep(6_000);
  simulation.freezeDrivers();
  await sleep(3 * SIMULATION_DEFAULTS.flushEveryMs + 2_000);
  const ops = new SimAccount(new SimApi(options.baseUrl, 30, undefined, options.clientAddress), DEMO_OPS.email, DEMO_PASSWORD);
  const live = await ops.call<{ shards: string[]; drivers: LiveDriver[] }>(`/v1/cities/${encodeURIComponent(city.id)}/live`);
  const idOf = new Map(
    (await options.sql<{ id: string; email: string }[]>`SELECT d.id, lower(u.email) AS email FROM drivers d JOIN user_profiles u ON u.user_id = d.user_id`).map((r) => [r.email, r.id]),
  );
  const violations: string[] = [];
  for (const driver of simulation.drivers) {
    const id = idOf.get(driver.demo.email.toLowerCase());
    const fix = driver.lastFix;
    if (!id || !fix) {
      violations.push(`${driver.demo.email}: no driver row or no fix sent`);
      continue;
    }
    const held = live.drivers.filter((d) => d.driverId === id);
    if (held.length !== 1) {
      violations.push(`${driver.demo.email}: held by ${held.length} shards (${held.map((h) => h.shard).join(', ')})`);
      continue;
    }
    const { shard, location } = held[0]!;
    if (!location || Math.abs(location.lat - fix.lat) > 1e-7 || Math.abs(location.lng - fix.lng) > 1e-7) {
      violations.push(`${driver.demo.email}: its shard holds ${JSON.stringify(location)}, its last fix was ${fix.lat},${fix.lng} (a fix lost)`);
    }
    // The shards' own rule (handover.ts): in its cell, or its previous one within the border margin.
    const belongs = handoverTarget(city, shard, fix);
    if (belongs !== null) violations.push(`${driver.demo.email}: in ${shard}, its last fix belongs to ${belongs}`);
  }
  const placement = {
    shards: live.shards.length,
    shardsHoldingDrivers: new Set(live.drivers.map((d) => d.shard)).size,
    handovers: simulation.stats.handovers,
    handoversWithOrder: simulation.stats.handoversWithOrder,
    violations,
  };
  options.log(
    `split city: ${placement.shards} shards of ${cellKm} km, ${placement.shardsHoldingDrivers} holding drivers at the end; ${placement.handovers} handovers seen by the apps (${placement.handoversWithOrder} carrying an order); ${violations.length} placement violations`,
  );
  return placement;
}
