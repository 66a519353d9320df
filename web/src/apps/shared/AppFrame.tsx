import { useEffect, useRef, type ReactNode } from 'react';
import { PageHeading } from '../../components/PageHeading';
import { Link } from '../../router';
import { DEMO_PASSWORD, DEMO_SIGN_IN, SHOW_DEMO } from './demo';
import type { AppName, AppSession, Role, SessionUser } from './session';
import { SignInPanel } from './SignInPanel';
import { useAppSession } from './useAppSession';
import '../../components/app-ui.css';

export interface AppTab {
  to: string;
  label: string;
  /** e.g. a count of new orders, read out with the tab. */
  badge?: number;
}

interface AppFrameProps {
  app: AppName;
  title: string;
  intro: string;
  roles: Role[];
  tabs?: AppTab[];
  children: (ctx: { user: SessionUser; session: AppSession }) => ReactNode;
}

/** An app's page: its heading, sign-in until signed in with the right role, then its tabs and content. */
export function AppFrame({ app, title, intro, roles, tabs = [], children }: AppFrameProps) {
  const { session, user } = useAppSession(app);
  const allowed = user !== null && roles.includes(user.role);
  // After signing in the form is gone: put the keyboard on the page heading, not nowhere.
  const wasAllowed = useRef(allowed);
  useEffect(() => {
    if (allowed && !wasAllowed.current) document.querySelector<HTMLElement>('main h1')?.focus();
    wasAllowed.current = allowed;
  }, [allowed]);
  return (
    <div className={`app app--${app}`}>
      <PageHeading title={title}>{intro}</PageHeading>
      {!allowed ? (
        <SignInPanel
          session={session}
          roles={roles}
          title={`Sign in to the ${title.toLowerCase()}`}
          {...(SHOW_DEMO ? { demoAccounts: DEMO_SIGN_IN[app], demoPassword: DEMO_PASSWORD } : {})}
        />
      ) : (
        <>
          <div className="toolbar app-user">
            <span>
              Signed in as <strong>{user.name}</strong> <span className="muted">({user.email})</span>
            </span>
            <span className="spacer" />
            <button type="button" className="button button--secondary button--small" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
          {tabs.length > 0 ? (
            <nav aria-label={`${title} sections`}>
              <ul className="tabs">
                {tabs.map((tab) => (
                  <li key={tab.to}>
                    <Link to={tab.to}>
                      {tab.label}
                      {tab.badge ? (
                        <>
                          {' '}
                          <span className="badge badge--new">
                            {tab.badge}
                            <span className="visually-hidden"> new</span>
                          </span>
                        </>
                      ) : null}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {children({ user, session })}
        </>
      )}
    </div>
  );
}
