/**
 * The apps, loaded on demand: someone opening the driver app on a phone does
 * not download the merchant console, and the maps and protocol code come only
 * with the apps that use them.
 */
import { lazy } from 'react';

export const MerchantApp = lazy(() => import('./merchant/MerchantApp').then((m) => ({ default: m.MerchantApp })));
export const DriverApp = lazy(() => import('./driver/DriverApp').then((m) => ({ default: m.DriverApp })));
export const CustomerApp = lazy(() => import('./customer/CustomerApp').then((m) => ({ default: m.CustomerApp })));
export const OpsApp = lazy(() => import('./ops/OpsApp').then((m) => ({ default: m.OpsApp })));
export const PublicTracking = lazy(() => import('./track/PublicTracking').then((m) => ({ default: m.PublicTracking })));
