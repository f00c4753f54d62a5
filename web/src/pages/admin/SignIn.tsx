import { useEffect } from 'react';
import { providerSessions, providerWorkspace } from '../../auth/session';
import { SignInForm } from '../auth/SignIn';

/** Root signs in against the provider pool (its own app client, MFA when the pool asks for it). */
export default function AdminSignIn() {
  useEffect(() => {
    document.title = 'Provider console · IssueTracker';
  }, []);
  return <SignInForm ws={providerWorkspace()} store={providerSessions} home="/admin/tenants" provider />;
}
