import { inputClass } from './ui';

export interface PickerProject {
  id: string;
  key: string;
  name: string;
  archived: boolean;
}

/** The project a page works on (settings per project, cycles): active projects by name, archived ones
 * last. Values are project keys; with `teams`, a team is a choice too (value `team:<id>`: a team's
 * cycles). Renders nothing while there is no project. */
export function ProjectPicker({
  projects,
  value,
  onChange,
  teams,
  label = 'Project',
}: {
  projects: PickerProject[] | undefined;
  value?: string;
  onChange: (value: string) => void;
  teams?: { id: string; name: string }[];
  label?: string;
}) {
  if (!projects || projects.length === 0) return null;
  const sorted = [...projects].sort(
    (a, b) => Number(a.archived) - Number(b.archived) || a.name.localeCompare(b.name),
  );
  const options = sorted.map((p) => (
    <option key={p.id} value={p.key}>
      {p.name} ({p.key}){p.archived ? ' · archived' : ''}
    </option>
  ));
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="text-xs font-medium whitespace-nowrap">{label}</span>
      <select
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
        className={inputClass + ' w-auto max-w-[16rem] py-1'}
        data-testid="settings-project"
      >
        {teams && teams.length > 0 ? (
          <>
            <optgroup label="Projects">{options}</optgroup>
            <optgroup label="Teams">
              {teams.map((t) => (
                <option key={t.id} value={`team:${t.id}`}>
                  {t.name} (team)
                </option>
              ))}
            </optgroup>
          </>
        ) : (
          options
        )}
      </select>
    </label>
  );
}
