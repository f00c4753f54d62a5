import { createContext, useContext } from 'react';
import type { Me } from './data';

export interface WorkspaceCtx {
  slug: string;
  me: Me;
  openCreate: (defaults?: { status?: string; project?: string }) => void;
  openHelp: () => void;
}

export const Ctx = createContext<WorkspaceCtx | null>(null);

export function useWorkspaceCtx(): WorkspaceCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('outside the workspace');
  return c;
}
