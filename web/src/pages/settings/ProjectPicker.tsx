import { useSearchParams } from 'react-router';
import { inputClass } from '../../components/ui';
import { useWorkspaceCtx } from '../workspace/context';
import { useProject } from '../workspace/projectData';

/** The project a per-project settings page works on, kept in `?project=KEY` (shareable). */
export function useSettingsProject() {
  const { slug } = useWorkspaceCtx();
  const [params, setParams] = useSearchParams();
  const { projects, project } = useProject(slug, params.get('project'));
  const select = (key: string) => setParams({ project: key }, { replace: true });
  return { projects, project, select };
}

export function ProjectPicker({
  projects,
  value,
  onChange,
}: {
  projects: { id: string; key: string; name: string; archived: boolean }[];
  value?: string;
  onChange: (key: string) => void;
}) {
  const sorted = [...projects].sort(
    (a, b) => Number(a.archived) - Number(b.archived) || a.name.localeCompare(b.name),
  );
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="text-xs font-medium">Project</span>
      <select
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
        className={inputClass + ' w-auto py-1'}
        data-testid="settings-project"
      >
        {sorted.map((p) => (
          <option key={p.id} value={p.key}>
            {p.name} ({p.key}){p.archived ? ' · archived' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
