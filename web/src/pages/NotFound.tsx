import { FileQuestion } from 'lucide-react';
import { Link, useParams } from 'react-router';

/** The one not-found page: a missing issue and another tenant's issue look exactly alike. */
export function NotFoundPage({ inWorkspace, what = 'page' }: { inWorkspace?: boolean; what?: string }) {
  const { slug } = useParams();
  return (
    <main
      className="mx-auto flex max-w-md flex-col items-center gap-3 px-4 py-24 text-center"
      data-testid="not-found"
    >
      <FileQuestion className="size-8 text-faint" aria-hidden />
      <h1 className="text-base font-semibold">Not found</h1>
      <p className="text-sm text-muted">This {what} does not exist, or you do not have access to it.</p>
      <Link
        to={inWorkspace && slug ? `/w/${slug}/issues` : '/'}
        className="text-sm font-medium text-brand underline-offset-2 hover:underline"
      >
        {inWorkspace ? 'Back to issues' : 'Go home'}
      </Link>
    </main>
  );
}
