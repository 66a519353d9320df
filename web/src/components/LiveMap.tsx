/**
 * A Leaflet map of live things: drivers, merchants, drop-offs, orders, and
 * the routes between them. Tiles come from VITE_TILE_URL; without it the map
 * has no tiles at all (offline runs, tests) and markers and routes still draw
 * on a plain background. Markers are divIcons (no image files), and each one
 * carries its id and position as data attributes, so tests and assistive
 * tooling can read what the map shows. See docs/decisions/0050.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef } from 'react';
import type { LatLng } from '../api/types';
import './live-map.css';

export type MarkerKind =
  | 'driver-available'
  | 'driver-busy'
  | 'driver-online'
  | 'driver-offline'
  | 'merchant'
  | 'dropoff'
  | 'order'
  | 'order-unassigned'
  | 'me';

export interface MapMarker {
  id: string;
  position: LatLng;
  kind: MarkerKind;
  /** Read by screen readers and shown as a tooltip. */
  label: string;
  /** Degrees clockwise from north (drivers). */
  heading?: number | null;
}

export interface MapRoute {
  id: string;
  points: LatLng[];
  /** `trail`: where a driver has been; `plan`: where it is going. */
  kind: 'trail' | 'plan';
}

export interface LiveMapProps {
  /** Accessible name of the map region, e.g. "Live map of Paris". */
  label: string;
  center: LatLng;
  zoom?: number;
  markers: MapMarker[];
  routes?: MapRoute[];
  /** `once`: fit the markers when they first appear; `follow`: keep them all in view. */
  fit?: 'once' | 'follow' | 'none';
  className?: string;
  /** Test hook and styling: `data-map` attribute of the container. */
  name?: string;
}

const TILE_URL: string | undefined = (import.meta.env.VITE_TILE_URL as string | undefined) || undefined;
const TILE_ATTRIBUTION: string = (import.meta.env.VITE_TILE_ATTRIBUTION as string | undefined) ?? '';

/** Whether this build shows map tiles (false: plain background). */
export const HAS_TILES = TILE_URL !== undefined;

function iconFor(marker: MapMarker): L.DivIcon {
  const heading = marker.heading ?? null;
  // Rotated in `annotate`, through the CSSOM: a style attribute in markup is refused by the pages' CSP (ADR 0086).
  const arrow = heading !== null && marker.kind.startsWith('driver') ? '<span class="dp-pin__heading"></span>' : '';
  return L.divIcon({
    className: `dp-pin dp-pin--${marker.kind}`,
    html: `${arrow}<span class="dp-pin__dot"></span>`,
    iconSize: marker.kind === 'merchant' || marker.kind === 'dropoff' ? [26, 26] : [20, 20],
  });
}

function annotate(layer: L.Marker, marker: MapMarker): void {
  const el = layer.getElement();
  if (!el) return;
  el.dataset.markerId = marker.id;
  el.dataset.kind = marker.kind;
  el.dataset.lat = marker.position.lat.toFixed(6);
  el.dataset.lng = marker.position.lng.toFixed(6);
  el.setAttribute('aria-label', marker.label);
  const arrow = el.querySelector<HTMLElement>('.dp-pin__heading');
  if (arrow && marker.heading !== null && marker.heading !== undefined) arrow.style.transform = `rotate(${marker.heading}deg)`;
}

export function LiveMap({ label, center, zoom = 14, markers, routes = [], fit = 'once', className, name }: LiveMapProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const markerLayers = useRef(new Map<string, { layer: L.Marker; kind: MarkerKind; heading: number | null }>());
  const routeLayers = useRef(new Map<string, L.Polyline>());
  const fitted = useRef(false);

  // Create the map once; React StrictMode mounts twice in development, so clean up fully.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const map = L.map(container, { center: [center.lat, center.lng], zoom, zoomControl: true, attributionControl: HAS_TILES, keyboard: true });
    if (TILE_URL) L.tileLayer(TILE_URL, { attribution: TILE_ATTRIBUTION, maxZoom: 19 }).addTo(map);
    mapRef.current = map;
    const layers = markerLayers.current;
    const lines = routeLayers.current;
    // The container's size can settle after the first paint (flex layouts).
    const observer = new ResizeObserver(() => map.invalidateSize());
    observer.observe(container);
    return () => {
      observer.disconnect();
      map.remove();
      mapRef.current = null;
      layers.clear();
      lines.clear();
      fitted.current = false;
    };
    // Created once: later center/zoom changes must not move the user's view.
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const layers = markerLayers.current;
    const seen = new Set<string>();
    for (const marker of markers) {
      seen.add(marker.id);
      const heading = marker.heading ?? null;
      const existing = layers.get(marker.id);
      if (existing) {
        existing.layer.setLatLng([marker.position.lat, marker.position.lng]);
        if (existing.kind !== marker.kind || existing.heading !== heading) {
          existing.layer.setIcon(iconFor(marker));
          existing.kind = marker.kind;
          existing.heading = heading;
        }
        existing.layer.setTooltipContent(marker.label);
        annotate(existing.layer, marker);
      } else {
        const layer = L.marker([marker.position.lat, marker.position.lng], { icon: iconFor(marker), keyboard: false, title: marker.label, riseOnHover: true });
        layer.bindTooltip(marker.label);
        layer.addTo(map);
        annotate(layer, marker);
        layers.set(marker.id, { layer, kind: marker.kind, heading });
      }
    }
    for (const [id, entry] of layers) {
      if (!seen.has(id)) {
        entry.layer.remove();
        layers.delete(id);
      }
    }

    const lines = routeLayers.current;
    const seenRoutes = new Set<string>();
    for (const route of routes) {
      seenRoutes.add(route.id);
      const latlngs = route.points.map((p) => [p.lat, p.lng] as [number, number]);
      const existing = lines.get(route.id);
      if (existing) existing.setLatLngs(latlngs);
      else {
        const style = route.kind === 'trail' ? { color: '#0f5c4d', weight: 4, opacity: 0.85 } : { color: '#0b5c8a', weight: 3, opacity: 0.8, dashArray: '6 8' };
        lines.set(route.id, L.polyline(latlngs, { ...style, interactive: false, className: `dp-route dp-route--${route.kind}` }).addTo(map));
      }
    }
    for (const [id, line] of lines) {
      if (!seenRoutes.has(id)) {
        line.remove();
        lines.delete(id);
      }
    }

    const points = markers.map((m) => L.latLng(m.position.lat, m.position.lng));
    if (points.length === 0 || fit === 'none') return;
    const bounds = L.latLngBounds(points);
    if (fit === 'once' && !fitted.current) {
      fitted.current = true;
      if (points.length > 1) map.fitBounds(bounds.pad(0.15), { maxZoom: 15, animate: false });
      else map.setView(points[0]!, Math.max(map.getZoom(), 14), { animate: false });
    } else if (fit === 'follow' && !map.getBounds().contains(bounds)) {
      map.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
    }
  }, [markers, routes, fit]);

  return (
    <div
      ref={containerRef}
      className={`live-map${HAS_TILES ? '' : ' live-map--plain'}${className ? ` ${className}` : ''}`}
      role="region"
      aria-label={label}
      data-map={name}
    />
  );
}
