import { PauseCircle } from 'lucide-react';
import { useParams } from 'react-router';
import { AuthShell } from './AuthShell';

export default function Suspended() {
  const { slug = '' } = useParams();
  return (
    <AuthShell title="This workspace is suspended">
      <div className="space-y-3 text-sm" data-testid="suspended">
        <PauseCircle className="size-6 text-amber-600" aria-hidden />
        <p>
          The workspace <strong>{slug}</strong> has been suspended, so no one can use it for now. Its data is
          kept safe.
        </p>
        <p className="text-muted">
          If you are its administrator, contact IssueTracker support to find out why and how to reactivate it.
          Otherwise, ask your administrator.
        </p>
      </div>
    </AuthShell>
  );
}
