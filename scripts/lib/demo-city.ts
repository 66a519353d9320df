/**
 * The demo city that `npm start` seeds: one city, a merchant of each kind with
 * products, 20 drivers, a customer and an operator. Plain data, so the seed,
 * the simulator and tests read the same facts.
 *
 * Zones and hours (ADR 0110, 0111): the city serves one delivery zone that
 * holds its whole 12 km radius (so the demo delivers where it always did),
 * with a no-go and a pickup-only area far from the shops; every shop is open
 * around the clock (npm start works at any hour) except the bakery, whose
 * real hours show the closed state ("Opens at 07:00"). The simulator leaves
 * shops with hours alone.
 */
import type { OpeningHours } from '../../domain/opening-hours';
import type { ServiceZones } from '../../domain/zones/service-area';
export const DEMO_PASSWORD = 'demo-password-2026';

export const DEMO_CITY = {
  name: 'Paris',
  center: { lat: 48.8566, lng: 2.3522 },
  currency: 'EUR',
  timezone: 'Europe/Paris',
  serviceRadiusKm: 12,
  deliveryBaseFeeCents: 199,
  deliveryPerKmCents: 60,
  taxRateBps: 1000,
} as const;

type Kind = 'restaurant' | 'store' | 'pharmacy';

export interface DemoMerchant {
  ownerEmail: string;
  ownerName: string;
  name: string;
  kind: Kind;
  address: string;
  location: { lat: number; lng: number };
  products: { name: string; priceCents: number; requiresPrescription?: boolean }[];
  /** Absent: open around the clock. */
  openingHours?: OpeningHours;
}

/** A regular polygon of `corners` around a centre, `radiusKm` to each corner: [lng, lat] ring, closed. */
function around(center: { lat: number; lng: number }, radiusKm: number, corners: number): [number, number][] {
  const kmPerDegLat = 111.32;
  const kmPerDegLng = kmPerDegLat * Math.cos((center.lat * Math.PI) / 180);
  const ring = Array.from({ length: corners }, (_, i): [number, number] => {
    const a = (2 * Math.PI * i) / corners;
    return [Number((center.lng + (radiusKm * Math.cos(a)) / kmPerDegLng).toFixed(5)), Number((center.lat + (radiusKm * Math.sin(a)) / kmPerDegLat).toFixed(5))];
  });
  return [...ring, ring[0]!];
}

const box = (west: number, south: number, east: number, north: number): [number, number][] => [[west, south], [east, south], [east, north], [west, north], [west, south]];

/** A 16-gon whose sides stay outside the 12 km circle: 12.3 km to the corners, 12.06 km (12.3 × cos 11.25°) to the middle of a side. */
export const DEMO_ZONES: ServiceZones = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 'paris', properties: { name: 'Paris and the inner suburbs', kind: 'delivery' }, geometry: { type: 'Polygon', coordinates: [around({ lat: 48.8566, lng: 2.3522 }, 12.3, 16)] } },
    { type: 'Feature', id: 'bois-de-boulogne', properties: { name: 'Bois de Boulogne', kind: 'no_go' }, geometry: { type: 'Polygon', coordinates: [box(2.235, 48.853, 2.265, 48.875)] } },
    { type: 'Feature', id: 'la-defense', properties: { name: 'La Défense esplanade', kind: 'pickup_only' }, geometry: { type: 'Polygon', coordinates: [box(2.228, 48.888, 2.25, 48.895)] } },
  ],
};

const MORNINGS = [{ open: '07:00', close: '13:30' }];

export const DEMO_MERCHANTS: DemoMerchant[] = [
  {
    ownerEmail: 'bistro@demo.delivery',
    ownerName: 'Camille Martin',
    name: 'Le Petit Bistro',
    kind: 'restaurant',
    address: '12 Rue de Rivoli, 75004 Paris',
    location: { lat: 48.8556, lng: 2.3579 },
    products: [
      { name: 'Croque-monsieur', priceCents: 950 },
      { name: 'Soupe à l’oignon', priceCents: 850 },
      { name: 'Steak frites', priceCents: 1890 },
      { name: 'Salade niçoise', priceCents: 1350 },
      { name: 'Crème brûlée', priceCents: 650 },
    ],
  },
  {
    ownerEmail: 'epicerie@demo.delivery',
    ownerName: 'Hugo Bernard',
    name: 'Épicerie Centrale',
    kind: 'store',
    address: '45 Rue Montorgueil, 75002 Paris',
    location: { lat: 48.8649, lng: 2.3470 },
    products: [
      { name: 'Baguette tradition', priceCents: 130 },
      { name: 'Lait demi-écrémé 1 L', priceCents: 119 },
      { name: 'Œufs bio x6', priceCents: 349 },
      { name: 'Comté 12 mois 200 g', priceCents: 545 },
      { name: 'Pommes Gala 1 kg', priceCents: 299 },
    ],
  },
  {
    ownerEmail: 'pharmacie@demo.delivery',
    ownerName: 'Léa Dubois',
    name: 'Pharmacie du Marais',
    kind: 'pharmacy',
    address: '3 Rue des Archives, 75004 Paris',
    location: { lat: 48.8590, lng: 2.3560 },
    products: [
      { name: 'Paracétamol 500 mg x16', priceCents: 215 },
      { name: 'Crème solaire SPF 50', priceCents: 1490 },
      { name: 'Sérum physiologique x40', priceCents: 450 },
      { name: 'Amoxicilline 1 g x6', priceCents: 520, requiresPrescription: true },
    ],
  },
  {
    ownerEmail: 'boulangerie@demo.delivery',
    ownerName: 'Marc Lefèvre',
    name: 'Boulangerie Saint-Paul',
    kind: 'store',
    address: '8 Rue Saint-Antoine, 75004 Paris',
    location: { lat: 48.8542, lng: 2.3631 },
    products: [
      { name: 'Croissant au beurre', priceCents: 140 },
      { name: 'Pain au chocolat', priceCents: 160 },
      { name: 'Tarte aux pommes', priceCents: 1850 },
    ],
    // Mornings only, closed on Mondays and on Christmas Day.
    openingHours: {
      weekly: { tue: MORNINGS, wed: MORNINGS, thu: MORNINGS, fri: MORNINGS, sat: MORNINGS, sun: [{ open: '08:00', close: '13:00' }] },
      exceptions: [{ date: '2026-12-25', intervals: [], note: 'Christmas Day' }],
    },
  },
];

const VEHICLES = ['bike', 'scooter', 'car'] as const;
const FIRST_NAMES = ['Alice', 'Bastien', 'Chloé', 'David', 'Emma', 'Farid', 'Gabrielle', 'Hamid', 'Inès', 'Jules',
  'Karim', 'Louise', 'Mathis', 'Nina', 'Oscar', 'Paul', 'Quentin', 'Rose', 'Samir', 'Tom'];

export const DEMO_DRIVERS = FIRST_NAMES.map((first, i) => ({
  email: `driver${String(i + 1).padStart(2, '0')}@demo.delivery`,
  name: `${first} Driver`,
  phone: `+3361234${String(5600 + i).padStart(4, '0')}`,
  vehicle: VEHICLES[i % VEHICLES.length]!,
}));

export const DEMO_CUSTOMER = { email: 'customer@demo.delivery', name: 'Zoé Customer', phone: '+33612340000', locale: 'fr' };
export const DEMO_OPS = { email: 'ops@demo.delivery', name: 'Olivier Ops' };
