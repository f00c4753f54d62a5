package onboarding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// StackOutputs is what a StackDeployer may also do: read the outputs of a
// tenant's deployed stack without deploying or changing it (found false:
// the stack does not exist or is not in a deployed state). The provisioning
// pipeline's awsstacks.Stacks implements it with DescribeStacks; a deployer
// without it (the local one) leaves the downloads backfill idle.
type StackOutputs interface {
	Outputs(ctx context.Context, tenantID string) (outputs map[string]string, found bool, err error)
}

// DeployedDownloads reads the download distribution of the tenant's
// deployed stack from its outputs, without deploying: nil when the stack
// has none (a platform without a download key) or is not deployed, or when
// the deployer cannot read outputs.
func (p Platinum) DeployedDownloads(ctx context.Context, tenantID string) (*tenant.Downloads, error) {
	r, ok := p.Stacks.(StackOutputs)
	if !ok {
		return nil, nil
	}
	out, found, err := r.Outputs(ctx, tenantID)
	if err != nil || !found {
		return nil, err
	}
	return downloadsOf(out), nil
}

// downloadsOf is the download distribution a tenant stack's outputs name
// (nil without one).
func downloadsOf(out map[string]string) *tenant.Downloads {
	d := out[OutputDownloadDomain]
	if d == "" {
		return nil
	}
	return &tenant.Downloads{Domain: d, KeyPairID: out[OutputDownloadKeyPairID]}
}

// downloadsReader is a Platinum provisioner that can read a deployed
// stack's download distribution (Platinum).
type downloadsReader interface {
	DeployedDownloads(ctx context.Context, tenantID string) (*tenant.Downloads, error)
}

// BackfillDownloadsPerRun bounds the stacks one BackfillDownloads run
// describes (one DescribeStacks each): the rest wait for the next run.
const BackfillDownloadsPerRun = 50

// BackfillDownloads records the download distribution of the Platinum
// tenants onboarded before tenant.Downloads existed (their record has none,
// so the attachments function fell back to presigned S3 GETs, which their
// bucket refuses): for each active or suspended Platinum tenant without
// one, it reads its deployed stack's outputs (never deploying) and stores
// them with a conditional write on the tenant's version. It also keeps the
// key id of a stack in the tenant's own account current (a download-key
// rotation changes it; docs/deploy.md). It is resumable
// and idempotent: every tenant is written on its own as soon as it is read,
// a tenant already recorded is skipped without a call (unless its stack is
// in its own account), a tenant changed
// meanwhile (a migration's switch sets Downloads itself) or whose read
// failed is left for the next run, and a run stops after
// BackfillDownloadsPerRun stack reads. Maintain calls it. It returns the
// tenants it filled in or whose record it changed.
func (s *Service) BackfillDownloads(ctx context.Context) ([]string, error) {
	prov, err := s.provisioner(tiers.Platinum)
	if err != nil {
		return nil, nil // no Platinum on this platform
	}
	r, ok := prov.(downloadsReader)
	if !ok {
		return nil, nil
	}
	if pl, ok := prov.(Platinum); ok {
		if _, reads := pl.Stacks.(StackOutputs); !reads {
			return nil, nil // the local deployer: no list read every few seconds for nothing
		}
	}
	var filled []string
	var failed []error
	var own []tenant.Tenant
	reads := 0
	// One pass over the tenants list (a status filter would read every
	// tenant item anyway: one Query of the list per page, whatever it keeps).
	for cursor := ""; ; {
		page, err := s.Tenants.List(ctx, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return filled, errors.Join(append(failed, fmt.Errorf("backfill downloads: %w", err))...)
		}
		for _, t := range page.Items {
			if t.Tier != tiers.Platinum || (t.Status != tenant.StatusActive && t.Status != tenant.StatusSuspended) {
				continue
			}
			if t.Downloads != nil {
				if t.Downloads.KeyPairID != "" {
					own = append(own, t) // its own key group: refreshed below
				}
				continue
			}
			if reads == BackfillDownloadsPerRun {
				return filled, errors.Join(failed...)
			}
			reads++
			if ok, err := s.recordDownloads(ctx, r, t); err != nil {
				failed = append(failed, err)
			} else if ok {
				filled = append(filled, t.ID)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	// The tenants whose stack has a key group of its own: the key id a
	// rotation gave them is read back from their stack (one read each, the
	// run's remaining reads; when they are more, each run starts elsewhere
	// in the list, so every tenant is read within a few runs).
	if left := BackfillDownloadsPerRun - reads; len(own) > 0 && left > 0 {
		start := 0
		if len(own) > left {
			start = int(s.now().Unix()/60) * left % len(own)
		}
		for i := range min(left, len(own)) {
			t := own[(start+i)%len(own)]
			if ok, err := s.recordDownloads(ctx, r, t); err != nil {
				failed = append(failed, err)
			} else if ok {
				filled = append(filled, t.ID)
			}
		}
	}
	if len(filled) > 0 {
		slog.InfoContext(ctx, "onboarding: recorded the download distribution of Platinum tenants", "tenants", filled)
	}
	return filled, errors.Join(failed...)
}

// recordDownloads reads the download distribution of t's deployed stack
// and records it when it differs from t's record (the audit names the key
// id): recorded reports a write. A stack without one, or not deployed,
// records nothing; a tenant changed meanwhile is read again next run.
func (s *Service) recordDownloads(ctx context.Context, r downloadsReader, t tenant.Tenant) (recorded bool, err error) {
	d, err := r.DeployedDownloads(ctx, t.ID)
	if err != nil {
		return false, fmt.Errorf("downloads of %s: %w", t.ID, err)
	}
	if d == nil || (t.Downloads != nil && *t.Downloads == *d) {
		return false, nil
	}
	t.Downloads = d
	if _, err := s.save(ctx, t); errs.Is(err, errs.KindPreconditionFailed) {
		return false, nil // changed meanwhile: read again next run
	} else if err != nil {
		return false, fmt.Errorf("downloads of %s: %w", t.ID, err)
	}
	s.audit(ctx, t.ID, "tenant.downloads_recorded", map[string]string{"domain": d.Domain, "key_pair_id": d.KeyPairID})
	return true, nil
}
