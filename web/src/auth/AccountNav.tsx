import { Link } from '../router';
import { useAuth } from './AuthContext';

/** Header links: sign in / create an account, or the account page once signed in. */
export function AccountNav() {
  const { signedIn } = useAuth();
  if (signedIn.length > 0) {
    return (
      <li>
        <Link to="/account">Account</Link>
      </li>
    );
  }
  return (
    <>
      <li>
        <Link to="/signin">Sign in</Link>
      </li>
      <li>
        <Link to="/register">Create account</Link>
      </li>
    </>
  );
}
