/** Response shapes shared by the web apps. Mirrors the Worker's OpenAPI schema. */

export interface HealthResponse {
  status: string;
}

export interface LatLng {
  lat: number;
  lng: number;
}

export interface City {
  id: string;
  name: string;
  center: LatLng;
  /** ISO 4217 code, e.g. "EUR". */
  currency: string;
  /** IANA time zone, e.g. "Europe/Lisbon". */
  timezone: string;
}

export interface ListResponse<T> {
  items: T[];
}
