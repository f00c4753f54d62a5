import { FileUp } from 'lucide-react';
import { useState, type ChangeEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type components } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { TableHead } from '../../components/CatalogPage';
import { Card, PageHeader, rowClass, tableClass } from '../../components/page';
import { ProjectPicker } from '../../components/ProjectPicker';
import { Banner, Button, fileInputClass } from '../../components/ui';
import { declare } from '../../lib/imports';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useDirectory } from '../workspace/data';
import { useSettingsProject } from './settingsProject';

type Job = components['schemas']['Job'];
type Preview = components['schemas']['Preview'];

type Step =
  | { s: 'idle' }
  | { s: 'uploading'; sent: number; total: number }
  | { s: 'preview'; preview: Preview }
  | { s: 'running'; preview: Preview; job: Job }
  | { s: 'done'; job: Job };

/** CSV import (Admins): upload a Jira or Linear export, read the dry run (column mapping, per-row
 * errors, the first rows as they would be created), then import with progress. The same file again is
 * the same import: an interrupted upload or run resumes, a finished one is not repeated. */
export default function Import() {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const dir = useDirectory(slug);
  const { projects, project, select } = useSettingsProject();
  const [step, setStep] = useState<Step>({ s: 'idle' });
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const busy = step.s === 'uploading' || step.s === 'running';

  const upload = async () => {
    if (!file || !project) return;
    setError(null);
    try {
      const d = await declare(await file.text());
      setStep({ s: 'uploading', sent: 0, total: d.parts.length });
      const job = await unwrap(
        api().POST('/v1/imports', {
          params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
          body: {
            filename: file.name,
            size: d.size,
            sha256: d.sha256,
            parts: d.parts.length,
            project_id: project.id,
          },
        }),
      );
      // An import is its file and its project: the same file again for this project resumes its job.
      if (job.state === 'done') return setStep({ s: 'done', job });
      const todo = job.state === 'uploading' ? (job.missing_parts ?? []) : [];
      let sent = d.parts.length - todo.length;
      for (const n of todo) {
        await unwrap(
          api().PUT('/v1/imports/{importId}/parts/{part}', {
            params: { path: { importId: job.id, part: String(n) } },
            body: { data: d.parts[n]! },
          }),
        );
        setStep({ s: 'uploading', sent: ++sent, total: d.parts.length });
      }
      const preview = await unwrap(
        api().POST('/v1/imports/{importId}/preview', {
          params: { path: { importId: job.id }, header: { 'Idempotency-Key': crypto.randomUUID() } },
        }),
      );
      setStep({ s: 'preview', preview });
    } catch (e) {
      setError(e);
      setStep({ s: 'idle' });
    }
  };

  const run = async (preview: Preview) => {
    setError(null);
    let job = preview.job;
    setStep({ s: 'running', preview, job });
    try {
      for (let i = 0; i < 1000 && job.state !== 'done'; i++) {
        job = await unwrap(
          api().POST('/v1/imports/{importId}/run', {
            params: { path: { importId: job.id }, header: { 'Idempotency-Key': crypto.randomUUID() } },
          }),
        );
        setStep({ s: 'running', preview, job });
      }
      setStep({ s: 'done', job });
      await qc.invalidateQueries({ queryKey: keys.issues(slug) });
    } catch (e) {
      setError(e);
      setStep({ s: 'preview', preview });
    }
  };

  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Import issues</span>}
        description="A CSV exported from Jira or Linear (or with columns such as Title, Description, Status, Priority, Type, Assignee email, Labels, Due date). Up to 10,000 rows."
      />
      <div className="space-y-4 p-4 sm:px-6">
        {error ? <Banner tone="error">{errorMessage(error)}</Banner> : null}
        <Card title="1. Choose a project and a file" id="import-file">
          <div className="flex flex-wrap items-center gap-3">
            {busy ? (
              <span className="text-sm" data-testid="import-project">
                Into {project?.name} ({project?.key})
              </span>
            ) : (
              <ProjectPicker
                label="Import into"
                projects={projects.data}
                value={project?.key}
                onChange={(key) => {
                  select(key);
                  setError(null);
                  setStep({ s: 'idle' }); // statuses, estimates, cycles and fields map per project
                }}
              />
            )}
            <label className="text-sm">
              <span className="sr-only">CSV file</span>
              <input
                type="file"
                accept=".csv,text/csv"
                aria-label="CSV file"
                onChange={(e: ChangeEvent<HTMLInputElement>) => {
                  setFile(e.target.files?.[0] ?? null);
                  setStep({ s: 'idle' });
                }}
                className={fileInputClass}
              />
            </label>
            <Button
              variant="primary"
              disabled={!file || !project || busy}
              busy={step.s === 'uploading'}
              onClick={() => void upload()}
            >
              <FileUp className="size-4" aria-hidden /> Upload and preview
            </Button>
            {step.s === 'uploading' && (
              <span role="status" className="text-xs text-muted">
                Sending part {step.sent} of {step.total}…
              </span>
            )}
          </div>
        </Card>

        {(step.s === 'preview' || step.s === 'running') && (
          <PreviewCard
            preview={step.preview}
            userName={dir.userName}
            labelName={(id) => dir.label(id)?.name ?? id}
          >
            {step.s === 'running' ? (
              <Progress job={step.job} />
            ) : (
              <Button
                variant="primary"
                disabled={step.preview.valid === 0}
                onClick={() => void run(step.preview)}
              >
                Import {step.preview.valid} {step.preview.valid === 1 ? 'row' : 'rows'}
              </Button>
            )}
          </PreviewCard>
        )}

        {step.s === 'done' && (
          <Card title="Import finished" id="import-done">
            <p role="status" className="text-sm" data-testid="import-done">
              {step.job.created} issues created, {step.job.existing} already there, {step.job.failed} rows
              failed (of {step.job.rows}).
            </p>
            {step.job.errors.length > 0 && <ErrorTable errors={step.job.errors} />}
            <Link
              to={issuesOf(slug, projects.data?.find((p) => p.id === step.job.project_id)?.key)}
              className="mt-2 inline-block text-sm text-ink underline underline-offset-2"
            >
              Open the issues
            </Link>
          </Card>
        )}
      </div>
    </main>
  );
}

/** The issue list of the project the rows went to. */
function issuesOf(slug: string, projectKey?: string) {
  return `/w/${slug}/issues${projectKey ? `?project=${encodeURIComponent(projectKey)}` : ''}`;
}

function Progress({ job }: { job: Job }) {
  const pct = job.rows ? Math.round((job.rows_done / job.rows) * 100) : 0;
  return (
    <div className="min-w-64 flex-1">
      <div
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={job.rows}
        aria-valuenow={job.rows_done}
        className="h-2 overflow-hidden rounded-full bg-panel"
      >
        <div className="h-full bg-brand transition-all" style={{ width: `${pct}%` }} />
      </div>
      <p className="mt-1 text-xs text-muted" role="status">
        {job.rows_done} of {job.rows} rows done
      </p>
    </div>
  );
}

function ErrorTable({ errors }: { errors: components['schemas']['RowError'][] }) {
  return (
    <table className={`${tableClass} mt-2`} aria-label="Row errors">
      <TableHead columns={['Row', 'Key', 'Field', 'Problem']} />
      <tbody>
        {errors.map((e, n) => (
          <tr key={`${e.row}-${e.field}-${n}`} className={rowClass} data-testid="row-error">
            <td className="px-3 py-1.5 font-mono text-xs">{e.row}</td>
            <td className="px-3 py-1.5 font-mono text-xs">{e.key ?? ''}</td>
            <td className="px-3 py-1.5 text-xs">{e.field}</td>
            <td className="px-3 py-1.5 text-xs">{e.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PreviewCard({
  preview,
  userName,
  labelName,
  children,
}: {
  preview: Preview;
  userName: (id?: string) => string;
  labelName: (id: string) => string;
  children: React.ReactNode;
}) {
  return (
    <Card title="2. Check the preview" id="import-preview">
      <p className="text-sm" data-testid="preview-counts">
        {preview.rows} rows: {preview.valid} ready to import, {preview.invalid} with errors (not imported).
      </p>
      <div className="mt-3 grid gap-4 md:grid-cols-2">
        <div>
          <h3 className="text-xs font-semibold">Columns</h3>
          <ul className="mt-1 text-xs" aria-label="Mapped columns">
            {Object.entries(preview.columns).map(([col, field]) => (
              <li key={col}>
                <span className="font-mono">{col}</span> → {field}
              </li>
            ))}
          </ul>
        </div>
        {preview.ignored.length > 0 && (
          <div>
            <h3 className="text-xs font-semibold">Not imported</h3>
            <p className="mt-1 text-xs text-muted">{preview.ignored.join(', ')}</p>
          </div>
        )}
      </div>
      {preview.errors.length > 0 && (
        <div className="mt-4">
          <h3 className="text-xs font-semibold">Row errors</h3>
          <ErrorTable errors={preview.errors} />
        </div>
      )}
      {preview.sample.length > 0 && (
        <div className="mt-4 overflow-x-auto">
          <h3 className="text-xs font-semibold">First rows as they will be created</h3>
          <table className={`${tableClass} mt-2`} aria-label="Preview rows">
            <TableHead columns={['Row', 'Title', 'Status', 'Priority', 'Type', 'Assignee', 'Labels']} />
            <tbody>
              {preview.sample.map((r) => (
                <tr key={r.row} className={rowClass} data-testid="sample-row">
                  <td className="px-3 py-1.5 font-mono text-xs">{r.row}</td>
                  <td className="px-3 py-1.5">{r.title}</td>
                  <td className="px-3 py-1.5 text-xs">{r.status}</td>
                  <td className="px-3 py-1.5 text-xs">{r.priority}</td>
                  <td className="px-3 py-1.5 text-xs">{r.type}</td>
                  <td className="px-3 py-1.5 text-xs">{r.assignee_id ? userName(r.assignee_id) : ''}</td>
                  <td className="px-3 py-1.5 text-xs">{r.labels.map(labelName).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="mt-4 flex flex-wrap items-center gap-3">{children}</div>
    </Card>
  );
}
