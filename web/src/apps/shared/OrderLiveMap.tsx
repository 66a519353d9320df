import { useMemo } from 'react';
import { LiveMap, type MapMarker, type MapRoute } from '../../components/LiveMap';
import type { LatLng } from '../../api/types';
import type { DriverFix } from '../../live/useOrderLive';

interface OrderLiveMapProps {
  label: string;
  pickup?: LatLng | null;
  dropoff?: LatLng | null;
  driver: DriverFix | null;
  trail: DriverFix[];
  driverName?: string | null;
  /** `customer` names the drop-off "Your address". */
  viewer: 'customer' | 'merchant' | 'public' | 'ops' | 'driver';
}

/** One order on a map: pickup, drop-off, the driver moving and the path behind it. */
export function OrderLiveMap({ label, pickup, dropoff, driver, trail, driverName, viewer }: OrderLiveMapProps) {
  const markers = useMemo(() => {
    const list: MapMarker[] = [];
    if (pickup) list.push({ id: 'pickup', position: pickup, kind: 'merchant', label: 'Pickup: the shop' });
    if (dropoff) list.push({ id: 'dropoff', position: dropoff, kind: 'dropoff', label: viewer === 'customer' ? 'Your address' : 'Drop-off' });
    if (driver) list.push({ id: 'driver', position: driver, kind: viewer === 'driver' ? 'me' : 'driver-busy', label: viewer === 'driver' ? 'You' : `Driver${driverName ? ` ${driverName}` : ''}`, heading: driver.heading ?? null });
    return list;
  }, [pickup, dropoff, driver, driverName, viewer]);
  const routes = useMemo(() => {
    const list: MapRoute[] = [];
    if (trail.length > 1) list.push({ id: 'trail', kind: 'trail', points: trail });
    return list;
  }, [trail]);
  const center = driver ?? dropoff ?? pickup ?? { lat: 48.8566, lng: 2.3522 };
  return <LiveMap label={label} center={center} markers={markers} routes={routes} fit="follow" name="order" />;
}
