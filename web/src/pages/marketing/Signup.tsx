import { useMutation, useQuery } from '@tanstack/react-query';
import { CheckCircle2, Loader2, XCircle } from 'lucide-react';
import { RadioGroup } from 'radix-ui';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { errorMessage, isApiError } from '../../api/problem';
import { registrations, type Tier as TierName } from '../../api/registration';
import { Banner, Button, cx, Field, Input } from '../../components/ui';
import { registerInCell, slugify, SLUG, validateSignup, type SignupForm } from '../../lib/signup';
import { MarketingShell } from './Shell';
import { price, useTiers } from './tiers';

function useDebounced<T>(v: T, ms: number): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    const t = setTimeout(() => setD(v), ms);
    return () => clearTimeout(t);
  }, [v, ms]);
  return d;
}

const REASON: Record<string, string> = {
  taken: 'This address is taken.',
  reserved: 'This address is reserved.',
  invalid: 'This address is not valid.',
};

export default function Signup() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const tiers = useTiers();
  const [form, setForm] = useState<SignupForm>({
    company_name: '',
    slug: '',
    admin_email: '',
    tier: params.get('tier') ?? 'basic',
  });
  const [slugEdited, setSlugEdited] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<keyof SignupForm, string>>>({});
  const set = (k: keyof SignupForm, v: string) => {
    setForm((f) => ({ ...f, [k]: v, ...(k === 'company_name' && !slugEdited ? { slug: slugify(v) } : {}) }));
    setErrors((e) => ({
      ...e,
      [k]: undefined,
      ...(k === 'company_name' && !slugEdited ? { slug: undefined } : {}),
    }));
  };

  const slug = useDebounced(form.slug, 300);
  const avail = useQuery({
    queryKey: ['availability', slug],
    queryFn: () => registrations.availability(slug),
    enabled: SLUG.test(slug),
    staleTime: 10_000,
    retry: false,
  });

  const submit = useMutation({
    // A cell may place the registration in another cell: it is re-sent there (lib/signup).
    mutationFn: () =>
      registerInCell((apiURL) =>
        registrations.register(
          {
            ...form,
            company_name: form.company_name.trim(),
            admin_email: form.admin_email.trim(),
            tier: form.tier as TierName,
          },
          apiURL,
        ),
      ),
    onSuccess: ({ registration: r, apiURL }) => {
      sessionStorage.setItem(
        `itr.signup.${r.tenant_id}`,
        JSON.stringify({
          email: form.admin_email.trim(),
          tier: form.tier,
          api: apiURL,
          token: r.status_token,
        }),
      );
      navigate(`/signup/${r.tenant_id}/status`);
    },
    onError: (e) => {
      if (isApiError(e)) setErrors((prev) => ({ ...prev, ...(e.fieldErrors() as typeof prev) }));
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const v = validateSignup(form);
    if (avail.data && !avail.data.available && avail.data.slug === form.slug)
      v.slug = avail.data.detail ?? REASON[avail.data.reason ?? 'taken'];
    setErrors(v);
    if (Object.keys(v).length === 0) submit.mutate();
  };

  const slugStatus =
    form.slug && slug === form.slug && SLUG.test(slug) ? (
      avail.isFetching ? (
        <span className="flex items-center gap-1 text-muted">
          <Loader2 className="size-3 animate-spin" aria-hidden /> Checking…
        </span>
      ) : avail.data?.available ? (
        <span className="flex items-center gap-1 text-emerald-700">
          <CheckCircle2 className="size-3" aria-hidden /> Available
        </span>
      ) : avail.data ? (
        <span className="flex items-center gap-1 text-red-700">
          <XCircle className="size-3" aria-hidden />{' '}
          {avail.data.detail ?? REASON[avail.data.reason ?? 'taken']}
        </span>
      ) : avail.isError ? (
        <span className="text-muted">Availability will be checked when you submit.</span>
      ) : null
    ) : null;

  return (
    <MarketingShell>
      <section className="mx-auto max-w-xl px-4 py-12">
        <h1 className="text-2xl font-semibold tracking-tight">Create your workspace</h1>
        <p className="mt-1 text-sm text-muted">
          Already have one?{' '}
          <Link to="/signin" className="font-medium text-brand hover:underline">
            Sign in
          </Link>
        </p>
        <form onSubmit={onSubmit} noValidate className="mt-8 space-y-5" aria-label="Sign up">
          {submit.isError && !Object.keys(errors).some((k) => errors[k as keyof SignupForm]) && (
            <Banner tone="error">{errorMessage(submit.error)}</Banner>
          )}
          <Field label="Company name" error={errors.company_name}>
            {(p) => (
              <Input
                {...p}
                value={form.company_name}
                onChange={(e) => set('company_name', e.target.value)}
                autoComplete="organization"
                autoFocus
                maxLength={120}
              />
            )}
          </Field>
          <Field
            label="Workspace address"
            error={errors.slug}
            hint={
              <span className="flex flex-wrap items-center gap-x-3">
                <span>
                  {location.host}/w/<strong>{form.slug || 'your-company'}</strong>
                </span>
                <span aria-live="polite">{slugStatus}</span>
              </span>
            }
          >
            {(p) => (
              <Input
                {...p}
                value={form.slug}
                onChange={(e) => {
                  setSlugEdited(true);
                  set('slug', e.target.value.toLowerCase());
                }}
                autoCapitalize="none"
                spellCheck={false}
                maxLength={32}
              />
            )}
          </Field>
          <Field
            label="Your work email"
            error={errors.admin_email}
            hint="You become the workspace's Super Admin. We send a code to verify it."
          >
            {(p) => (
              <Input
                {...p}
                type="email"
                value={form.admin_email}
                onChange={(e) => set('admin_email', e.target.value)}
                autoComplete="email"
              />
            )}
          </Field>
          <fieldset>
            <legend className="mb-1 text-xs font-medium">Plan</legend>
            <RadioGroup.Root
              value={form.tier}
              onValueChange={(v) => set('tier', v)}
              className="grid gap-2 sm:grid-cols-2"
              aria-label="Plan"
            >
              {(tiers.data ?? []).map((t) => (
                <RadioGroup.Item
                  key={t.name}
                  value={t.name}
                  className={cx(
                    'rounded-lg border px-3 py-2 text-left',
                    form.tier === t.name ? 'border-brand ring-2 ring-brand/20' : 'border-line hover:bg-panel',
                  )}
                >
                  <span className="flex items-baseline justify-between">
                    <span className="text-sm font-medium">{t.display_name}</span>
                    <span className="text-xs text-muted">
                      {price(t)}
                      {t.price_usd > 0 && '/mo'}
                    </span>
                  </span>
                  <span className="block text-xs text-muted">
                    {t.max_users === 0 ? 'Unlimited users' : `Up to ${t.max_users} users`}
                    {t.isolation === 'silo' ? ' · own stack' : ''}
                  </span>
                </RadioGroup.Item>
              ))}
            </RadioGroup.Root>
            {errors.tier && (
              <p className="mt-1 text-xs text-red-700" role="alert">
                {errors.tier}
              </p>
            )}
            {form.tier !== 'basic' && (
              <p className="mt-2 text-xs text-muted">
                Paid plans start once our team approves them, usually within a day.
              </p>
            )}
          </fieldset>
          <Button type="submit" variant="primary" busy={submit.isPending} className="w-full">
            Create workspace
          </Button>
        </form>
      </section>
    </MarketingShell>
  );
}
