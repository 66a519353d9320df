import { useEffect, useRef, useState, type ReactNode } from 'react';
import { APPS } from '../apps';
import { AccountNav } from '../auth/AccountNav';
import { Link, usePathname } from '../router';

export const MAIN_ID = 'main-content';

/**
 * Page chrome: skip link, banner with the primary navigation, main landmark
 * and footer. On client-side navigation, focus moves to the new page's
 * heading so screen-reader and keyboard users land on the new content.
 * On a phone-sized screen the menu folds behind a "Menu" button (styles.css),
 * so an app's own content (the driver's job and its next action) comes first.
 */
export function Layout({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const mainRef = useRef<HTMLElement>(null);
  const previousPathname = useRef(pathname);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    if (previousPathname.current === pathname) return;
    previousPathname.current = pathname;
    setMenuOpen(false);
    const main = mainRef.current;
    if (!main) return;
    const heading = main.querySelector<HTMLElement>('h1');
    window.scrollTo(0, 0);
    (heading ?? main).focus({ preventScroll: true });
  }, [pathname]);

  return (
    <>
      <a className="skip-link" href={`#${MAIN_ID}`}>
        Skip to main content
      </a>
      <header className="site-header">
        <div className="container site-header__inner">
          <Link to="/" className="brand">
            <span className="brand__mark" aria-hidden="true" />
            Delivery Platform
          </Link>
          <nav aria-label="Primary" className={`site-nav${menuOpen ? ' site-nav--open' : ''}`}>
            <button type="button" className="site-nav__toggle" aria-expanded={menuOpen} aria-controls="site-nav-list" onClick={() => setMenuOpen((open) => !open)}>
              Menu
            </button>
            <ul id="site-nav-list">
              <li>
                <Link to="/">Home</Link>
              </li>
              {APPS.map((app) => (
                <li key={app.path}>
                  <Link to={app.path}>{app.name}</Link>
                </li>
              ))}
              <AccountNav />
            </ul>
          </nav>
        </div>
      </header>
      <main id={MAIN_ID} ref={mainRef} tabIndex={-1} className="container site-main">
        {children}
      </main>
      <footer className="site-footer">
        <div className="container">
          <p>
            API reference: <a href="/docs">/docs</a> · <a href="/openapi.json">OpenAPI</a>
          </p>
        </div>
      </footer>
    </>
  );
}
