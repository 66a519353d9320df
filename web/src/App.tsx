import { APPS, type AppInfo } from './apps';
import { Layout } from './components/Layout';
import { LandingPage } from './pages/LandingPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PlaceholderPage } from './pages/PlaceholderPage';
import { TrackPage } from './pages/TrackPage';
import { useRoute, type Route } from './router';

function appFor(path: AppInfo['path']): AppInfo {
  const app = APPS.find((candidate) => candidate.path === path);
  if (!app) throw new Error(`Unknown app ${path}`);
  return app;
}

function renderRoute(route: Route) {
  switch (route.name) {
    case 'landing':
      return <LandingPage />;
    case 'merchant':
      return <PlaceholderPage app={appFor('/merchant')} />;
    case 'driver':
      return <PlaceholderPage app={appFor('/driver')} />;
    case 'customer':
      return <PlaceholderPage app={appFor('/customer')} />;
    case 'ops':
      return <PlaceholderPage app={appFor('/ops')} />;
    case 'track':
      return <TrackPage token={route.token} />;
    case 'notFound':
      return <NotFoundPage path={route.path} />;
  }
}

export function App() {
  const route = useRoute();
  return <Layout>{renderRoute(route)}</Layout>;
}
