import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { lastWorkspace } from '../../auth/session';
import { Button, Field, Input } from '../../components/ui';
import { SLUG } from '../../lib/signup';
import { AuthShell } from './AuthShell';

export default function FindWorkspace() {
  const navigate = useNavigate();
  const last = lastWorkspace();
  const [slug, setSlug] = useState(last ?? '');
  const [error, setError] = useState<string>();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const s = slug.trim().toLowerCase();
    if (!SLUG.test(s)) return setError('Enter your workspace address, e.g. acme.');
    navigate(`/w/${s}/signin`);
  };
  return (
    <AuthShell title="Sign in to your workspace" subtitle="Enter your workspace's address.">
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <Field label="Workspace" error={error} hint={`${location.host}/w/${slug || 'your-company'}`}>
          {(p) => (
            <Input
              {...p}
              value={slug}
              onChange={(e) => {
                setSlug(e.target.value);
                setError(undefined);
              }}
              autoFocus
              autoCapitalize="none"
              spellCheck={false}
              placeholder="acme"
            />
          )}
        </Field>
        <Button type="submit" variant="primary" className="w-full">
          Continue
        </Button>
        <p className="text-center text-xs text-muted">
          No workspace yet?{' '}
          <Link to="/signup" className="font-medium text-brand hover:underline">
            Create one
          </Link>
        </p>
      </form>
    </AuthShell>
  );
}
