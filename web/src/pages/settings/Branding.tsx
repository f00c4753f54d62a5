import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CircleUser, KanbanSquare, ListTodo } from 'lucide-react';
import { useMemo, useState, type CSSProperties, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { Logo } from '../../components/Logo';
import { Card, PageHeader } from '../../components/page';
import { Banner, Button, ErrorState, Field, fileInputClass, Input, Skeleton } from '../../components/ui';
import { brandVars, contrast, readableOnWhite } from '../../lib/color';
import { isLogo, logoFileProblem, LOGO_TYPES, readLogo } from '../../lib/logo';
import { useWorkspaceCtx } from '../workspace/context';
import { keys, useBranding } from '../workspace/data';

type Branding = { display_name?: string; logo_url?: string; primary_color?: string; customizable: boolean };

/** The workspace's name, logo and colour, with a live preview (Super Admin; tiers with branding). */
export default function BrandingPage() {
  const { slug } = useWorkspaceCtx();
  const b = useBranding(slug);
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Branding</span>}
        description="How the workspace looks to its people: name, logo and accent colour."
      />
      {b.isPending ? (
        <Skeleton />
      ) : b.isError ? (
        <ErrorState error={b.error} onRetry={() => void b.refetch()} />
      ) : (
        <Form initial={b.data} />
      )}
    </main>
  );
}

function Form({ initial }: { initial: Branding }) {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [name, setName] = useState(initial.display_name ?? '');
  const [logo, setLogo] = useState(isLogo(initial.logo_url) ? initial.logo_url : '');
  const [color, setColor] = useState(initial.primary_color || '#5e6ad2');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api().PUT('/v1/branding', {
          body: { display_name: name.trim(), logo_url: logo || undefined, primary_color: color },
        }),
      ),
    onSuccess: async (data) => {
      qc.setQueryData(keys.branding(slug), data);
      await qc.invalidateQueries({ queryKey: keys.me(slug) });
    },
    onError: (e) => isApiError(e) && setErrors(e.fieldErrors()),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!name.trim()) fe.display_name = 'Give the workspace a name.';
    if (!/^#[0-9a-fA-F]{6}$/.test(color)) fe.primary_color = 'A colour like #4f5bd5.';
    setErrors(fe);
    if (!Object.keys(fe).length) save.mutate();
  };
  const vars = useMemo(() => brandVars(color) as CSSProperties, [color]);
  const ratio = contrast(color, '#ffffff');
  const adjusted = readableOnWhite(color);
  const locked = !initial.customizable;

  return (
    <div className="grid gap-4 p-4 sm:px-6 lg:grid-cols-2">
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="Branding">
        {locked && (
          <Banner tone="warn">
            The {me.tenant.tier} plan does not include custom branding. Upgrade to Standard or above to change
            it.
          </Banner>
        )}
        {save.isError && !Object.keys(errors).length && (
          <Banner tone="error">{errorMessage(save.error)}</Banner>
        )}
        {save.isSuccess && <Banner>Saved. Everyone sees the new branding on their next page load.</Banner>}
        <fieldset disabled={locked} className="space-y-4">
          <Field label="Workspace name" error={errors.display_name}>
            {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={80} />}
          </Field>
          <Field
            label="Logo"
            hint="A square PNG, JPEG, GIF or WebP image of at most 16 KB, kept with the branding."
            error={errors.logo_url}
          >
            {(p) => (
              <div className="flex items-center gap-2">
                <input
                  {...p}
                  type="file"
                  accept={LOGO_TYPES.join(',')}
                  className={fileInputClass}
                  onChange={async (e) => {
                    const f = e.target.files?.[0];
                    e.target.value = '';
                    if (!f) return;
                    const problem = logoFileProblem(f);
                    if (problem) {
                      setErrors((x) => ({ ...x, logo_url: problem }));
                      return;
                    }
                    setErrors(({ logo_url: _, ...x }) => x);
                    setLogo(await readLogo(f));
                  }}
                />
                {logo && (
                  <Button type="button" onClick={() => setLogo('')}>
                    Remove logo
                  </Button>
                )}
              </div>
            )}
          </Field>
          <Field
            label="Accent colour"
            error={errors.primary_color}
            hint={
              ratio >= 4.5
                ? `Contrast on white ${ratio.toFixed(1)}:1 — readable.`
                : `Contrast on white ${ratio.toFixed(1)}:1 is below 4.5:1; text and links use ${adjusted} instead.`
            }
          >
            {(p) => (
              <div className="flex items-center gap-2">
                <input
                  type="color"
                  aria-label="Pick the accent colour"
                  value={/^#[0-9a-fA-F]{6}$/.test(color) ? color : '#000000'}
                  onChange={(e) => setColor(e.target.value)}
                  className="h-8 w-10 cursor-pointer"
                />
                <Input
                  {...p}
                  value={color}
                  onChange={(e) => setColor(e.target.value)}
                  className="max-w-32 font-mono"
                />
              </div>
            )}
          </Field>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save branding
          </Button>
        </fieldset>
      </form>
      <Card id="preview" title="Preview">
        <div
          style={vars}
          className="flex overflow-hidden rounded-md border border-line"
          data-testid="brand-preview"
        >
          <div className="w-44 space-y-3 bg-panel p-3 text-sm">
            <div className="flex items-center gap-2">
              {isLogo(logo) ? (
                <img src={logo} alt="" className="size-5 rounded" data-testid="preview-logo" />
              ) : (
                <Logo />
              )}
              <span className="truncate font-semibold" data-testid="preview-name">
                {name || me.tenant.name}
              </span>
            </div>
            <div className="flex items-center gap-2 rounded-md bg-white px-2 py-1 font-medium shadow-sm">
              <ListTodo className="size-4" aria-hidden /> Issues
            </div>
            <div className="flex items-center gap-2 px-2 text-muted">
              <KanbanSquare className="size-4" aria-hidden /> Board
            </div>
            <div className="flex items-center gap-2 px-2 text-muted">
              <CircleUser className="size-4" aria-hidden /> You
            </div>
          </div>
          <div className="flex-1 space-y-3 p-4 text-sm">
            <div className="font-semibold">Checkout rejects valid coupons</div>
            <p className="text-muted">
              Reported by <span className="text-brand underline">@sam</span>: coupon SPRING fails.
            </p>
            <span className="inline-flex h-8 items-center rounded-md bg-brand px-3 font-medium text-brand-fg">
              New issue
            </span>
          </div>
        </div>
      </Card>
    </div>
  );
}
