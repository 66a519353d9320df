import { Suspense } from 'react';
import { CustomerApp, DriverApp, MerchantApp, OpsApp, PublicTracking } from './apps/lazy';
import { AuthProvider } from './auth/AuthContext';
import { Layout } from './components/Layout';
import { LandingPage } from './pages/LandingPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { DevOutboxPage } from './pages/dev/DevOutboxPage';
import { AccountPage } from './pages/auth/AccountPage';
import { RegisterPage } from './pages/auth/RegisterPage';
import { SignInPage } from './pages/auth/SignInPage';
import { useRoute, type Route } from './router';

function renderRoute(route: Route) {
  switch (route.name) {
    case 'landing':
      return <LandingPage />;
    case 'merchant':
      return <MerchantApp rest={route.rest} />;
    case 'driver':
      return <DriverApp />;
    case 'customer':
      return <CustomerApp rest={route.rest} />;
    case 'ops':
      return <OpsApp rest={route.rest} />;
    case 'track':
      return <PublicTracking token={route.token} />;
    case 'devOutbox':
      return <DevOutboxPage />;
    case 'register':
      return <RegisterPage />;
    case 'signin':
      return <SignInPage />;
    case 'account':
      return <AccountPage />;
    case 'notFound':
      return <NotFoundPage path={route.path} />;
  }
}

export function App() {
  const route = useRoute();
  return (
    <AuthProvider>
      <Layout>
        <Suspense fallback={<p role="status">Loading…</p>}>{renderRoute(route)}</Suspense>
      </Layout>
    </AuthProvider>
  );
}
