import { useSearchParams } from 'react-router';
import { useWorkspaceCtx } from '../workspace/context';
import { useProject } from '../workspace/projectData';

/** The project a per-project settings page works on, kept in `?project=KEY` (shareable); the picker
 * is components/ProjectPicker. */
export function useSettingsProject() {
  const { slug } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const { projects, project } = useProject(slug, params.get('project'));
  const select = (key: string) => setParams({ project: key }, { replace: true });
  return { projects, project, select };
}
