/** The four web apps of the platform, used by the navigation and landing page. */
export interface AppInfo {
  path: '/merchant' | '/driver' | '/customer' | '/ops';
  name: string;
  /** Short description for the landing page. */
  summary: string;
  /** What the (currently placeholder) page will hold. */
  placeholder: string;
}

export const APPS: readonly AppInfo[] = [
  {
    path: '/merchant',
    name: 'Merchant',
    summary: 'Restaurants and shops accept orders, mark them ready and follow each pickup.',
    placeholder:
      'This page will hold the merchant console: incoming orders, preparation status and pickup hand-off.',
  },
  {
    path: '/driver',
    name: 'Driver',
    summary: 'Couriers go online, receive dispatch offers and navigate each delivery.',
    placeholder:
      'This page will hold the driver app: going online, accepting offers and reporting pickup and drop-off.',
  },
  {
    path: '/customer',
    name: 'Customer',
    summary: 'Customers place orders, pay and watch their delivery move in real time.',
    placeholder:
      'This page will hold the customer app: browsing merchants, checking out and following active orders.',
  },
  {
    path: '/ops',
    name: 'Operations',
    summary: 'The operations team monitors cities, drivers and orders, and resolves issues.',
    placeholder:
      'This page will hold the operations dashboard: live city maps, order queues and incident handling.',
  },
];
