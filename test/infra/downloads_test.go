package infra_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/constructs/filestore"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// getObjectStatements are the s3:GetObject statements of bucket's policy
// in stack (effect, principal, condition; symbolic references).
func getObjectStatements(t *testing.T, stack, bucket string) []string {
	t.Helper()
	var got []string
	for _, pol := range resources(t, stack, "AWS::S3::BucketPolicy") {
		if ref(props(pol)["Bucket"]) != bucket {
			continue
		}
		for _, s := range asList(props(pol)["PolicyDocument"].(map[string]any)["Statement"]) {
			s := s.(map[string]any)
			if strings.Contains(jsonOf(s["Action"]), "s3:GetObject") {
				got = append(got, strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(
					jsonOf(symbolic(map[string]any{"Effect": s["Effect"], "Principal": s["Principal"], "Condition": s["Condition"]}))))
			}
		}
	}
	slices.Sort(got)
	return got
}

// distributionOnlyGets are the GetObject statements of a bucket behind the
// distribution distID: CloudFront may read for that distribution only, and
// presigned GETs (query string auth) are denied to anyone.
func distributionOnlyGets(distID string) []string {
	return []string{
		`{"Condition":{"StringEquals":{"AWS:SourceArn":"arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<` + strings.TrimSuffix(distID, distID[len(distID)-8:]) + `>"}},"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"}}`,
		`{"Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}},"Effect":"Deny","Principal":{"AWS":"*"}}`,
	}
}

// testKey is a test download public key (testdata/<name>.pub.pem).
func testKey(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(synth.platform.Config.RepoRoot, "test", "infra", "testdata", name+".pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// cachingDisabled is CloudFront's managed CachingDisabled cache policy.
const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"

// The pooled bucket's downloads go through a CloudFront distribution:
// signed URLs only (the key group holding the deployment's public key),
// HTTPS only, nothing cached, S3 read through origin access control with
// exactly S3's response overrides forwarded (so S3 answers with the signed
// Content-Disposition), and a response headers policy adding nosniff, the
// sandboxing CSP and no-store. Presigned S3 GETs of the bucket are denied.
func TestPooledDownloadsGoThroughTheDistributionWithNosniff(t *testing.T) {
	ready(t)
	st := stacks.PlatformStackName
	if synth.platform.Downloads == nil {
		t.Fatal("no download distribution with a download key")
	}
	distID := logicalID(synth.platform.Downloads.Distribution.Node().DefaultChild())
	dist := props(resources(t, st, "AWS::CloudFront::Distribution")[distID])
	if dist == nil {
		t.Fatalf("no distribution %s", distID)
	}
	cfg := dist["DistributionConfig"].(map[string]any)
	beh := cfg["DefaultCacheBehavior"].(map[string]any)
	if beh["ViewerProtocolPolicy"] != "https-only" {
		t.Errorf("ViewerProtocolPolicy = %v, want https-only", beh["ViewerProtocolPolicy"])
	}
	if beh["CachePolicyId"] != cachingDisabled {
		t.Errorf("CachePolicyId = %v, want CachingDisabled (private files are never kept at the edge)", beh["CachePolicyId"])
	}
	if got := jsonOf(beh["AllowedMethods"]); got != `["GET","HEAD"]` {
		t.Errorf("AllowedMethods = %s", got)
	}

	t.Run("only URLs signed with the deployment's keys are served", func(t *testing.T) {
		groups := asList(beh["TrustedKeyGroups"])
		if len(groups) != 1 {
			t.Fatalf("TrustedKeyGroups = %s, want one", jsonOf(groups))
		}
		group := props(resources(t, st, "AWS::CloudFront::KeyGroup")[ref(groups[0])])
		keys := asList(group["KeyGroupConfig"].(map[string]any)["Items"])
		// Cell-1 is mid-rotation: the current and the next key.
		var got []string
		for _, k := range keys {
			got = append(got, fmt.Sprint(props(resources(t, st, "AWS::CloudFront::PublicKey")[ref(k)])["PublicKeyConfig"].(map[string]any)["EncodedKey"]))
		}
		if diff := cmp.Diff([]string{testKey(t, "downloads"), testKey(t, "downloads-next")}, got); diff != "" {
			t.Errorf("the key group's public keys (-want +got):\n%s", diff)
		}
		for name, tmpl := range synth.raw {
			if strings.Contains(jsonOf(tmpl), "PRIVATE KEY") {
				t.Errorf("%s holds a private key", name)
			}
		}
	})

	t.Run("S3 is read through origin access control, and only by this distribution", func(t *testing.T) {
		origins := asList(cfg["Origins"])
		if len(origins) != 1 {
			t.Fatalf("origins = %s", jsonOf(origins))
		}
		o := origins[0].(map[string]any)
		oac := props(resources(t, st, "AWS::CloudFront::OriginAccessControl")[ref(o["OriginAccessControlId"])])
		if got := jsonOf(oac["OriginAccessControlConfig"]); !strings.Contains(got, `"OriginAccessControlOriginType":"s3"`) ||
			!strings.Contains(got, `"SigningBehavior":"always"`) || !strings.Contains(got, `"SigningProtocol":"sigv4"`) {
			t.Errorf("OAC = %s, want S3, always signed with SigV4", got)
		}
		filesID := logicalID(synth.platform.Files.Bucket.Node().DefaultChild())
		if !strings.Contains(jsonOf(o["DomainName"]), filesID) {
			t.Errorf("origin %s, want the pooled bucket", jsonOf(o["DomainName"]))
		}
		if diff := cmp.Diff(distributionOnlyGets(distID), getObjectStatements(t, st, filesID)); diff != "" {
			t.Errorf("the pooled bucket's GetObject statements (-want +got):\n%s", diff)
		}
	})

	t.Run("S3's response overrides reach S3, nothing else does", func(t *testing.T) {
		orp := props(resources(t, st, "AWS::CloudFront::OriginRequestPolicy")[ref(beh["OriginRequestPolicyId"])])["OriginRequestPolicyConfig"].(map[string]any)
		qs := orp["QueryStringsConfig"].(map[string]any)
		var names []string
		for _, q := range asList(qs["QueryStrings"]) {
			names = append(names, q.(string))
		}
		slices.Sort(names)
		if qs["QueryStringBehavior"] != "whitelist" || !slices.Equal(names, attachment.DownloadQuery) {
			t.Errorf("query strings %s %v, want exactly %v", qs["QueryStringBehavior"], names, attachment.DownloadQuery)
		}
		for _, k := range []string{"HeadersConfig", "CookiesConfig"} {
			if got := jsonOf(orp[k]); !strings.Contains(got, `"none"`) {
				t.Errorf("%s = %s, want none (no cookie or Authorization to S3)", k, got)
			}
		}
	})

	t.Run("every answer says nosniff, sandbox, no referrer, no-store", func(t *testing.T) {
		rhp := props(resources(t, st, "AWS::CloudFront::ResponseHeadersPolicy")[ref(beh["ResponseHeadersPolicyId"])])["ResponseHeadersPolicyConfig"].(map[string]any)
		sec := rhp["SecurityHeadersConfig"].(map[string]any)
		if got := jsonOf(sec["ContentTypeOptions"]); got != `{"Override":true}` {
			t.Errorf("ContentTypeOptions = %s, want X-Content-Type-Options: nosniff, overriding S3", got)
		}
		if got := sec["ContentSecurityPolicy"].(map[string]any)["ContentSecurityPolicy"]; got != attachment.DownloadCSP {
			t.Errorf("CSP = %v, want %s", got, attachment.DownloadCSP)
		}
		if got := jsonOf(sec["ReferrerPolicy"]); !strings.Contains(got, `"no-referrer"`) {
			t.Errorf("ReferrerPolicy = %s", got)
		}
		if got := jsonOf(rhp["CustomHeadersConfig"]); !strings.Contains(got, `"Header":"Cache-Control"`) || !strings.Contains(got, attachment.DownloadCacheControl) {
			t.Errorf("custom headers = %s, want Cache-Control: %s", got, attachment.DownloadCacheControl)
		}
	})

	t.Run("the attachments function signs for it with the key from the secret", func(t *testing.T) {
		env := envOf(t, string(routes.FnAttachments))
		if got := jsonOf(env[envvars.AttachmentsCloudFrontBase]); !strings.Contains(got, "https://") || !strings.Contains(got, distID) {
			t.Errorf("%s = %s, want https:// and the distribution's domain", envvars.AttachmentsCloudFrontBase, got)
		}
		// Signing with the next key (downloadSigner=next).
		key := logicalID(synth.platform.DownloadPublicKeys[1].Node().DefaultChild())
		if got := ref(env[envvars.AttachmentsCloudFrontKeyPairID]); got != key {
			t.Errorf("%s refers to %s, want the next public key %s", envvars.AttachmentsCloudFrontKeyPairID, got, key)
		}
		secretID := logicalID(synth.platform.DownloadKey.Node().DefaultChild())
		if ref(env[envvars.AttachmentsCloudFrontKeySecret]) != secretID {
			t.Errorf("%s = %s, want the DownloadKey secret", envvars.AttachmentsCloudFrontKeySecret, jsonOf(env[envvars.AttachmentsCloudFrontKeySecret]))
		}
		for _, name := range stacks.FunctionNames() {
			if name == string(routes.FnAttachments) {
				continue
			}
			for _, v := range envvars.CloudFrontDownloads {
				if _, ok := envOf(t, name)[v]; ok {
					t.Errorf("%s has %s", name, v)
				}
			}
			for _, s := range statements(t, roleOf(name)) {
				if strings.Contains(jsonOf(s["Resource"]), secretID) {
					t.Errorf("%s may read the download key: %s", name, jsonOf(s))
				}
			}
		}
	})
}

// Without a download key the platform has no download distribution, its
// functions no CloudFront variables, and downloads stay presigned S3 GETs
// (cell-2 is synthesized so).
func TestWithoutADownloadKeyDownloadsArePresignedGets(t *testing.T) {
	ready(t)
	if synth.cell2.Downloads != nil {
		t.Fatal("a download distribution without a key")
	}
	st := stacks.PlatformStackNameOf(cell2)
	for _, typ := range []string{"AWS::CloudFront::KeyGroup", "AWS::CloudFront::PublicKey"} {
		if n := len(resources(t, st, typ)); n != 0 {
			t.Errorf("%d %s", n, typ)
		}
	}
	fn := props(resources(t, st, "AWS::Lambda::Function")[logicalID(synth.cell2.Functions[string(routes.FnAttachments)].Function.Node().DefaultChild())])
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, v := range envvars.CloudFrontDownloads {
		if _, ok := env[v]; ok {
			t.Errorf("attachments has %s", v)
		}
	}
}

// Each Platinum tenant's stack has a download distribution for its own
// bucket, like the platform's: in the platform's account it trusts the
// platform's key group (read from SSM at deploy), in its own account a key
// group of its own with the same public key. The provisioning pipeline
// passes the public key to the tenant stacks' synth on its command line.
func TestPlatinumBucketsHaveTheirOwnDownloadDistribution(t *testing.T) {
	ready(t)
	pub, _ := os.ReadFile(filepath.Join(synth.platform.Config.RepoRoot, "test", "infra", "testdata", "downloads.pub.pem"))
	for _, c := range []struct {
		name   string
		tenant *stacks.Tenant
		stack  string
		// keys is how many public keys the stack defines.
		keys int
	}{
		{"in the platform's account", synth.tenant, stacks.TenantStackName(tenantID), 0},
		{"in its own account", synth.cross, stacks.TenantStackNameOf(cell2, crossTenant), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.tenant.Downloads == nil {
				t.Fatal("no download distribution")
			}
			distID := logicalID(c.tenant.Downloads.Distribution.Node().DefaultChild())
			cfg := props(resources(t, c.stack, "AWS::CloudFront::Distribution")[distID])["DistributionConfig"].(map[string]any)
			beh := cfg["DefaultCacheBehavior"].(map[string]any)
			if beh["ViewerProtocolPolicy"] != "https-only" || beh["CachePolicyId"] != cachingDisabled {
				t.Errorf("behaviour %s", jsonOf(beh))
			}
			o := asList(cfg["Origins"])[0].(map[string]any)
			if !strings.Contains(jsonOf(o["DomainName"]), logicalID(c.tenant.Files.Bucket.Node().DefaultChild())) || o["OriginAccessControlId"] == nil {
				t.Errorf("origin %s, want the tenant's bucket through OAC", jsonOf(o))
			}
			rhp := props(resources(t, c.stack, "AWS::CloudFront::ResponseHeadersPolicy")[ref(beh["ResponseHeadersPolicyId"])])
			if got := jsonOf(rhp); !strings.Contains(got, `"ContentTypeOptions":{"Override":true}`) {
				t.Errorf("headers policy %s, want nosniff", got)
			}
			keys := resources(t, c.stack, "AWS::CloudFront::PublicKey")
			if len(keys) != c.keys {
				t.Errorf("%d public keys, want %d", len(keys), c.keys)
			}
			groups := jsonOf(beh["TrustedKeyGroups"])
			for _, k := range keys {
				if props(k)["PublicKeyConfig"].(map[string]any)["EncodedKey"] != strings.TrimSpace(string(pub)) {
					t.Errorf("public key %s", jsonOf(k))
				}
			}
			if c.keys == 0 && !strings.Contains(groups, "DownloadKeyGroup") && !strings.Contains(strings.ToLower(groups), "ssm") {
				t.Errorf("TrustedKeyGroups %s, want the platform's key group from SSM", groups)
			}
			outs := synth.raw[c.stack]["Outputs"].(map[string]any)
			if o, ok := outs[onboarding.OutputDownloadDomain].(map[string]any); !ok || !strings.Contains(jsonOf(o["Value"]), distID) {
				t.Errorf("output %s = %s, want the distribution's domain", onboarding.OutputDownloadDomain, jsonOf(outs[onboarding.OutputDownloadDomain]))
			}
			// The key pair id onboarding records: the stack's own key; none
			// when it trusts the platform's group (the platform's signer).
			o, ok := outs[onboarding.OutputDownloadKeyPairID].(map[string]any)
			switch {
			case c.keys == 0 && ok:
				t.Errorf("output %s in the platform's account: %s", onboarding.OutputDownloadKeyPairID, jsonOf(o))
			case c.keys > 0 && (!ok || ref(o["Value"]) != logicalID(c.tenant.DownloadPublicKey.Node().DefaultChild())):
				t.Errorf("output %s = %s, want the stack's public key", onboarding.OutputDownloadKeyPairID, jsonOf(o))
			}
			// Downloads go through the distribution only: the bucket
			// denies presigned GETs, like the pooled one.
			filesID := logicalID(c.tenant.Files.Bucket.Node().DefaultChild())
			if diff := cmp.Diff(distributionOnlyGets(distID), getObjectStatements(t, c.stack, filesID)); diff != "" {
				t.Errorf("the tenant bucket's GetObject statements (-want +got):\n%s", diff)
			}
			check(t, "the deny statement", func() {
				template(t, c.stack).HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
					"Bucket": map[string]any{"Ref": filesID},
					"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
						"Sid": "DownloadsThroughTheDistributionOnly", "Effect": "Deny", "Action": "s3:GetObject",
						"Condition": map[string]any{"StringEquals": map[string]any{"s3:authType": "REST-QUERY-STRING"}},
					})})},
				})
			})
		})
	}
	t.Run("the pipeline passes the key to the tenant stacks", func(t *testing.T) {
		body := strings.Join(strings.Split(strings.TrimSpace(string(pub)), "\n")[1:len(strings.Split(strings.TrimSpace(string(pub)), "\n"))-1], "")
		project := jsonOf(resources(t, stacks.PlatformStackName, "AWS::CodeBuild::Project"))
		if !strings.Contains(project, "-c downloadPublicKey="+body) {
			t.Error("the deployer's cdk command lacks -c downloadPublicKey=<the key's base64 body>")
		}
		next := testKey(t, "downloads-next")
		nextBody := strings.Join(strings.Split(next, "\n")[1:len(strings.Split(next, "\n"))-1], "")
		if !strings.Contains(project, "-c downloadNextPublicKey="+nextBody) || !strings.Contains(project, "-c downloadSigner=next") {
			t.Error("mid-rotation, the deployer's cdk command lacks the next key and the signer")
		}
	})
}

// Rotating the download key without failed URLs (docs/deploy.md, "Rotating
// the download key"): with a next key configured, the key group trusts
// the current and the next public key, each key has its private-key
// secret named by its fingerprint, and the attachments function is told
// the signer's key id and secret (cell-1 signs with the next key) and may
// read that secret only. A URL signed with either key verifies while both
// are in the group, so switching the signer fails none.
func TestADownloadKeyRotationTrustsBothKeysAndSignsWithTheConfiguredOne(t *testing.T) {
	ready(t)
	st := stacks.PlatformStackName
	current, next := testKey(t, "downloads"), testKey(t, "downloads-next")
	if len(synth.platform.DownloadPublicKeys) != 2 || len(synth.platform.DownloadKeys) != 2 {
		t.Fatalf("%d public keys and %d secrets, want the current and the next", len(synth.platform.DownloadPublicKeys), len(synth.platform.DownloadKeys))
	}
	keys := resources(t, st, "AWS::CloudFront::PublicKey")
	secrets := resources(t, st, "AWS::SecretsManager::Secret")
	for i, k := range []string{current, next} {
		fp := filestore.KeyFingerprint(k)
		id := logicalID(synth.platform.DownloadPublicKeys[i].Node().DefaultChild())
		if !strings.Contains(id, "PublicKey"+fp) || props(keys[id])["PublicKeyConfig"].(map[string]any)["EncodedKey"] != k {
			t.Errorf("public key %d: %s %s, want PublicKey%s with its PEM", i, id, jsonOf(keys[id]), fp)
		}
		sec := secrets[logicalID(synth.platform.DownloadKeys[i].Node().DefaultChild())]
		if got, want := props(sec)["Name"], stacks.DownloadKeySecretName(synth.platform.Config.Prefix, k); got != want {
			t.Errorf("secret of key %d named %v, want %s", i, got, want)
		}
		if !strings.HasSuffix(fmt.Sprint(props(sec)["Name"]), "/downloads/private-key-"+fp) {
			t.Errorf("secret %v is not named by the key's fingerprint %s", props(sec)["Name"], fp)
		}
		if sec["DeletionPolicy"] != "Delete" {
			t.Errorf("secret of key %d: DeletionPolicy %v, want Delete (the old private key goes with its key)", i, sec["DeletionPolicy"])
		}
	}
	env := envOf(t, string(routes.FnAttachments))
	nextKey := logicalID(synth.platform.DownloadPublicKeys[1].Node().DefaultChild())
	nextSecret, currentSecret := logicalID(synth.platform.DownloadKeys[1].Node().DefaultChild()), logicalID(synth.platform.DownloadKeys[0].Node().DefaultChild())
	if ref(env[envvars.AttachmentsCloudFrontKeyPairID]) != nextKey || ref(env[envvars.AttachmentsCloudFrontKeySecret]) != nextSecret {
		t.Errorf("the function signs with %s from %s, want the next key %s from %s", jsonOf(env[envvars.AttachmentsCloudFrontKeyPairID]),
			jsonOf(env[envvars.AttachmentsCloudFrontKeySecret]), nextKey, nextSecret)
	}
	reads := map[string]bool{}
	for _, s := range statements(t, roleOf(string(routes.FnAttachments))) {
		res := jsonOf(s["Resource"])
		reads[nextSecret] = reads[nextSecret] || strings.Contains(res, nextSecret)
		reads[currentSecret] = reads[currentSecret] || strings.Contains(res, currentSecret)
	}
	if !reads[nextSecret] || reads[currentSecret] {
		t.Errorf("the function reads the signer's secret %v and the other key's %v, want only the signer's", reads[nextSecret], reads[currentSecret])
	}
}
