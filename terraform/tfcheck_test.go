// Package tfcheck checks the Terraform of terraform/ offline, without providers: every .tf
// file parses (hashicorp/hcl/v2), and cross-checks against the Go code hold — every
// function `make lambda` builds (functions/*/main.go) is deployed with an IAM role of its
// own and the environment variables its code reads (found by walking its main and
// internal/awssys with go/ast); no IAM statement is "*" on "*"; KMS keys are per tenant
// and rotate where KMS allows; buckets block public access, keep versions and use
// SSE-KMS; tables have dynamo.CreateTableInput's schema, TTL and point-in-time recovery;
// functions, queues and log-based alarms are watched. Each check is also run on
// testdata/broken, where it must find the faults planted there.
package tfcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

const repo = ".."

// kmsOutsideTenant are the KMS keys allowed outside modules/tenant, with the reason.
var kmsOutsideTenant = map[string]string{
	"modules/region:aws_kms_external_key.smp_sign": "the region's one SMP signs for all its participants with one SMP certificate",
}

// ttlAttribute is the dynamo adapter's TTL attribute, read from its source.
func ttlAttribute(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repo, "infra", "aws", "dynamo", "table.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range g.Specs {
			if vs, ok := s.(*ast.ValueSpec); ok && vs.Names[0].Name == "attrTTL" {
				if v, ok := stringLit(vs.Values[0]); ok {
					return v
				}
			}
		}
	}
	t.Fatal("infra/aws/dynamo/table.go: no attrTTL constant")
	return ""
}

func load(t *testing.T, root string) map[string]*module {
	t.Helper()
	mods, err := loadModules(root)
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

// repoFacts reads what the checks compare the Terraform with: the functions and the
// variables they read, and the strings the Go code can log.
func repoFacts(t *testing.T) (map[string]map[string]bool, map[string]bool) {
	t.Helper()
	env, err := functionEnv(repo)
	if err != nil {
		t.Fatal(err)
	}
	strs, err := goStringLiterals(filepath.Join(repo, "core"), filepath.Join(repo, "infra"), filepath.Join(repo, "internal"))
	if err != nil {
		t.Fatal(err)
	}
	return env, strs
}

func TestTerraform(t *testing.T) {
	mods := load(t, ".")
	for _, want := range []string{"modules/region", "modules/tenant", "modules/function", "examples/region-two-municipalities"} {
		if mods[want] == nil {
			t.Fatalf("module %s not found (parsed %v)", want, sortedDirs(mods))
		}
	}
	env, strs := repoFacts(t)
	pkgs := make([]string, 0, len(env))
	for p := range env {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for name, fs := range map[string][]string{
		"functions":           checkFunctions(mods, pkgs, requiredEnv(env)),
		"iam":                 checkIAM(mods),
		"kms":                 checkKMS(mods, "modules/tenant", kmsOutsideTenant),
		"buckets":             checkBuckets(mods),
		"tables":              checkTables(mods, dynamo.CreateTableInput("x"), ttlAttribute(t)),
		"observability":       checkObservability(mods),
		"log-based alarms":    checkLogMessages(mods, strs),
		"variables & outputs": checkDocs(mods),
	} {
		for _, f := range fs {
			t.Errorf("%s: %s", name, f)
		}
	}
}

// TestEnvAnalysis guards the analysis the functions check relies on: it must see the
// variables each function is documented to need (docs/design/functions.md), or an empty
// result would make the check pass vacuously.
func TestEnvAnalysis(t *testing.T) {
	env, _ := repoFacts(t)
	for pkg, want := range map[string][]string{
		"as4-receive": {"BREVDUVA_TENANT", "BREVDUVA_AS4_KEY", "BREVDUVA_QUEUE_URL", "BREVDUVA_SML_ZONE", "AWS_REGION"},
		"as4-send":    {"BREVDUVA_TENANT", "BREVDUVA_AS4_KEY", "BREVDUVA_O2O_KEY", "BREVDUVA_TLS_ROOTS"},
		"sdk-api":     {"BREVDUVA_OAUTH_ISSUER", "BREVDUVA_OAUTH_PUBLIC_KEY", "BREVDUVA_SDK_API_BASE_PATH", "BREVDUVA_BUCKET"},
		"smp":         {"BREVDUVA_SMP_KEY", "BREVDUVA_SMP_CERT", "BREVDUVA_SMP_BASE_URL", "BREVDUVA_TABLE"},
		"addressbook": {"BREVDUVA_ADDRESSBOOK_ADMIN_TOKEN", "BREVDUVA_TABLE"},
	} {
		for _, v := range want {
			if !env[pkg][v] {
				t.Errorf("functions/%s: analysis did not find %s (found %v)", pkg, v, keys(env[pkg]))
			}
		}
	}
	for _, v := range []string{"BREVDUVA_OAUTH_ISSUER", "BREVDUVA_AS4_KEY"} {
		if env["smp"][v] || env["addressbook"][v] {
			t.Errorf("%s attributed to smp or addressbook, which never read it", v)
		}
	}
	for pkg, vars := range env {
		for v := range vars {
			if reason, skip := notSetByTerraform(v); skip {
				t.Logf("functions/%s reads %s: not set by Terraform: %s", pkg, v, reason)
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestChecksFindFaults runs every check on testdata/broken, which plants one or more
// faults per check, and requires each to be reported.
func TestChecksFindFaults(t *testing.T) {
	mods := load(t, "testdata/broken")
	pkgs := []string{"as4-receive", "as4-send", "smp", "addressbook"}
	required := map[string][]string{"as4-receive": {"BREVDUVA_TABLE", "BREVDUVA_TENANT"}}
	got := slices.Concat(
		checkFunctions(mods, pkgs, required),
		checkIAM(mods),
		checkKMS(mods, "testdata/broken/tenant", nil),
		checkBuckets(mods),
		checkTables(mods, dynamo.CreateTableInput("x"), "ttl"),
		checkObservability(mods),
		checkLogMessages(mods, map[string]bool{"message delivered": true}),
		checkDocs(mods),
	)
	want := []string{
		"functions/as4-send: no Lambda function deploys it",
		"functions/as4-receive reads BREVDUVA_TENANT, which Terraform does not set",
		"fn: resource aws_lambda_function.this: role is not an aws_iam_role of its own",
		"aws_iam_role.shared is shared by functions direct_a, direct_b",
		"deploys wasm.zip, which `make lambda` does not build",
		"data aws_iam_policy_document.admin: statement 1 has \"*\" as action and resource",
		"resource aws_iam_role_policy.inline: policy statement 1 has \"*\" as action and resource",
		"data aws_iam_policy_document.broad: statement 1 allows a wildcard action [s3:*]",
		"resource aws_kms_key.outside: KMS key outside the tenant module",
		"resource aws_kms_key.outside: symmetric key without enable_key_rotation = true",
		"resource aws_kms_key.signing: automatic rotation is not available for an asymmetric key",
		"resource aws_s3_bucket.open: public access not blocked",
		"resource aws_s3_bucket.open: versioning not Enabled",
		"resource aws_s3_bucket.open: no SSE-KMS default encryption",
		"resource aws_dynamodb_table.t: not dynamo.CreateTableInput's schema: billing_mode \"PROVISIONED\"",
		"resource aws_dynamodb_table.t: point-in-time recovery not enabled",
		"resource aws_dynamodb_table.t: TTL not enabled on \"ttl\"",
		"resource aws_cloudwatch_log_group.no_retention: no retention_in_days",
		"resource aws_lambda_function.direct_a: does not log to an aws_cloudwatch_log_group",
		"resource aws_lambda_function.direct_a: no alarm on its Errors metric",
		"resource aws_sqs_queue.dlq: DLQ without a depth alarm",
		"resource aws_sqs_queue.lonely: queue without a DLQ",
		"counts log message \"a message nobody logs\"",
		"variable package: no description",
		"output undocumented: no description",
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("not reported: %s", w)
		}
	}
	for _, unwanted := range []string{"broad: statement 2", "aws_lambda_function.direct_b: no alarm"} {
		if slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, unwanted) }) {
			t.Errorf("reported, though not a fault: %s", unwanted)
		}
	}
	if t.Failed() {
		t.Logf("reported:\n%s", strings.Join(got, "\n"))
	}
}

// TestParseError: a file that is not HCL is an error naming the file, not a skipped file.
func TestParseError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.tf"), []byte("resource \"aws_s3_bucket\" \"x\" {\n  bucket =\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadModules(dir)
	if err == nil || !strings.Contains(err.Error(), "bad.tf") {
		t.Fatalf("loadModules = %v, want a parse error naming bad.tf", err)
	}
}
