/**
 * The demo city that `npm start` seeds: one city, a merchant of each kind with
 * products, 20 drivers, a customer and an operator. Plain data, so the seed,
 * the simulator and tests read the same facts.
 */
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
}

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
