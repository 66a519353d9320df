import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../db/schema/index';
import { newId } from '../../db/ids';
import { hashPassword } from '../../workers/services/auth/password';
import { DEMO_CITY, DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_OPS, DEMO_PASSWORD, DEMO_ZONES } from './demo-city';

type Db = ReturnType<typeof drizzle<typeof schema>>;
type Role = (typeof schema.userRole.enumValues)[number];

export interface SeedSummary {
  cityId: string;
  created: number;
  reused: number;
  accounts: { role: string; email: string }[];
}

/** Finds a user by email (case-insensitively) or creates it with the demo password. */
async function ensureUser(
  db: Db,
  passwordHash: Awaited<ReturnType<typeof hashPassword>>,
  user: { email: string; name: string; phone?: string; role: Role; locale?: string },
): Promise<{ id: string; created: boolean }> {
  const existing = await db
    .select({ id: schema.userProfiles.userId })
    .from(schema.userProfiles)
    .where(sql`lower(${schema.userProfiles.email}) = lower(${user.email})`);
  if (existing[0]) return { id: existing[0].id, created: false };
  const id = newId('usr');
  await db.transaction(async (tx) => {
    await tx.insert(schema.users).values({ id, role: user.role, locale: user.locale ?? 'en' });
    await tx.insert(schema.userProfiles).values({ userId: id, email: user.email, name: user.name, phone: user.phone ?? null });
    await tx.insert(schema.passwordCredentials).values({
      userId: id,
      hash: passwordHash.hash,
      algorithm: passwordHash.algorithm,
      params: { ...passwordHash.params },
    });
    await tx.insert(schema.notificationPreferences).values({ userId: id }).onConflictDoNothing();
  });
  return { id, created: true };
}

/** Seeds the demo city. Idempotent: what exists (by natural key) is reused. */
export async function seedDemoCity(url: string): Promise<SeedSummary> {
  const client = postgres(url, { max: 2, onnotice: () => {} });
  const db = drizzle(client, { schema });
  let created = 0;
  let reused = 0;
  const count = (wasCreated: boolean) => (wasCreated ? created++ : reused++);
  try {
    // One hash for every demo account: each has the same demo password, and
    // hashing 25 accounts one by one would only slow the start down.
    const passwordHash = await hashPassword(DEMO_PASSWORD);

    let city = (await db.select().from(schema.cities).where(eq(schema.cities.name, DEMO_CITY.name)))[0];
    if (!city) {
      [city] = await db
        .insert(schema.cities)
        .values({
          id: newId('cty'),
          name: DEMO_CITY.name,
          centerLat: DEMO_CITY.center.lat,
          centerLng: DEMO_CITY.center.lng,
          currency: DEMO_CITY.currency,
          timezone: DEMO_CITY.timezone,
          serviceRadiusKm: DEMO_CITY.serviceRadiusKm,
          deliveryBaseFeeCents: DEMO_CITY.deliveryBaseFeeCents,
          deliveryPerKmCents: DEMO_CITY.deliveryPerKmCents,
          taxRateBps: DEMO_CITY.taxRateBps,
        })
        .returning();
      count(true);
    } else count(false);
    const cityId = city!.id;
    // The demo zones (ADR 0110), also on a city seeded before zones existed; an operator's zones are kept.
    if (!city!.serviceZones) await db.update(schema.cities).set({ serviceZones: DEMO_ZONES }).where(eq(schema.cities.id, cityId));

    for (const m of DEMO_MERCHANTS) {
      const owner = await ensureUser(db, passwordHash, { email: m.ownerEmail, name: m.ownerName, role: 'merchant' });
      count(owner.created);
      let merchant = (await db.select().from(schema.merchants).where(and(eq(schema.merchants.cityId, cityId), eq(schema.merchants.name, m.name))))[0];
      if (!merchant) {
        [merchant] = await db
          .insert(schema.merchants)
          .values({ id: newId('mer'), cityId, name: m.name, kind: m.kind, address: m.address, lat: m.location.lat, lng: m.location.lng, openingHours: m.openingHours ?? null })
          .returning();
        count(true);
      } else count(false);
      await db.insert(schema.merchantMembers).values({ merchantId: merchant!.id, userId: owner.id, role: 'owner' }).onConflictDoNothing();
      const existingNames = new Set(
        (await db.select({ name: schema.products.name }).from(schema.products).where(eq(schema.products.merchantId, merchant!.id))).map((p) => p.name),
      );
      for (const p of m.products) {
        if (existingNames.has(p.name)) {
          count(false);
          continue;
        }
        await db.insert(schema.products).values({
          id: newId('prd'),
          merchantId: merchant!.id,
          name: p.name,
          priceCents: p.priceCents,
          currency: DEMO_CITY.currency,
          requiresPrescription: p.requiresPrescription ?? false,
        });
        count(true);
      }
    }

    for (const d of DEMO_DRIVERS) {
      const user = await ensureUser(db, passwordHash, { email: d.email, name: d.name, phone: d.phone, role: 'driver' });
      count(user.created);
      const inserted = await db
        .insert(schema.drivers)
        .values({ id: newId('drv'), userId: user.id, cityId, vehicle: d.vehicle })
        .onConflictDoNothing({ target: schema.drivers.userId })
        .returning({ id: schema.drivers.id });
      count(inserted.length > 0);
    }

    count((await ensureUser(db, passwordHash, { ...DEMO_CUSTOMER, role: 'customer' })).created);
    count((await ensureUser(db, passwordHash, { ...DEMO_OPS, role: 'ops' })).created);

    return {
      cityId,
      created,
      reused,
      accounts: [
        { role: 'customer', email: DEMO_CUSTOMER.email },
        { role: 'ops', email: DEMO_OPS.email },
        ...DEMO_MERCHANTS.map((m) => ({ role: `merchant (${m.kind})`, email: m.ownerEmail })),
        { role: 'driver (x20)', email: `${DEMO_DRIVERS[0]!.email} … ${DEMO_DRIVERS.at(-1)!.email}` },
      ],
    };
  } finally {
    await client.end();
  }
}
