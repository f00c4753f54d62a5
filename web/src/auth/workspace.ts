import { useQuery } from '@tanstack/react-query';
import { workspaces } from '../api/registration';
import type { Workspace } from './session';

/** The public lookup of a workspace by its slug: where its people sign in. */
export function useWorkspace(slug: string) {
  return useQuery<Workspace>({
    queryKey: ['workspace', slug],
    queryFn: () => workspaces.get(slug),
    staleTime: 5 * 60_000,
    retry: false,
  });
}
