package tfcheck

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Each check returns its findings, one line each ("" none): the tests expect none in
// terraform/ and the expected ones in testdata/broken.

// deployment is one deployment of a functions/ package found in the Terraform.
type deployment struct {
	pkg, where string
	env        map[string]bool
}

var zipName = regexp.MustCompile(`([a-z0-9-]+)\.zip$`)

// checkFunctions: every package has a Lambda function, every Lambda function has an IAM
// role of its own, and every deployment sets the variables its package requires.
func checkFunctions(mods map[string]*module, pkgs []string, required map[string][]string) []string {
	var found []string
	var deps []deployment
	fnMods := map[string]bool{} // modules whose Lambda deploys var.package
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		found = append(found, m.ownRoles()...)
		for _, l := range m.blocks("resource", "aws_lambda_function") {
			fa := l.Body.Attributes["filename"]
			if fa == nil {
				found = append(found, m.where(l)+": no filename (the `make lambda` zip)")
				continue
			}
			if m.refersViaLocals(fa.Expr, "var", "package") {
				fnMods[dir] = true
				continue
			}
			for _, s := range m.literalStrings(fa.Expr) {
				if z := zipName.FindStringSubmatch(s); z != nil {
					deps = append(deps, deployment{pkg: z[1], where: m.where(l), env: envOf(m, l.Body)})
				}
			}
		}
	}
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, b := range m.blocks("module", "") {
			src, _ := literalString(b.Body.Attributes["source"])
			if !fnMods[filepath.Clean(filepath.Join(dir, src))] {
				continue
			}
			pkg, ok := literalString(b.Body.Attributes["package"])
			if !ok {
				found = append(found, m.where(b)+": package is not a literal folder name under functions/")
				continue
			}
			env := map[string]bool{}
			if a := b.Body.Attributes["environment"]; a != nil {
				env = m.objectKeys(a.Expr)
			}
			deps = append(deps, deployment{pkg: pkg, where: m.where(b), env: env})
		}
	}
	return append(found, checkDeployments(deps, pkgs, required)...)
}

func envOf(m *module, body *hclsyntax.Body) map[string]bool {
	if a := attrAt(body, "environment", "variables"); a != nil {
		return m.objectKeys(a.Expr)
	}
	return map[string]bool{}
}

func checkDeployments(deps []deployment, pkgs []string, required map[string][]string) []string {
	var found []string
	for _, pkg := range pkgs {
		n := 0
		for _, d := range deps {
			if d.pkg != pkg {
				continue
			}
			n++
			need := slices.Clone(required[pkg])
			sort.Strings(need)
			for _, v := range need {
				if !d.env[v] {
					found = append(found, fmt.Sprintf("%s: functions/%s reads %s, which Terraform does not set", d.where, pkg, v))
				}
			}
		}
		if n == 0 {
			found = append(found, fmt.Sprintf("functions/%s: no Lambda function deploys it", pkg))
		}
	}
	for _, d := range deps {
		if !slices.Contains(pkgs, d.pkg) {
			found = append(found, fmt.Sprintf("%s: deploys %s.zip, which `make lambda` does not build", d.where, d.pkg))
		}
	}
	return found
}

// ownRoles: each aws_lambda_function's role is an aws_iam_role of the same module that no
// other function of the module uses.
func (m *module) ownRoles() []string {
	var found []string
	roles := map[string]bool{}
	for _, r := range m.blocks("resource", "aws_iam_role") {
		roles[r.Labels[1]] = true
	}
	users := map[string][]string{}
	for _, l := range m.blocks("resource", "aws_lambda_function") {
		a := l.Body.Attributes["role"]
		var refs []string
		if a != nil {
			refs = references(a.Expr, "aws_iam_role")
		}
		if len(refs) != 1 || !roles[refs[0]] {
			found = append(found, m.where(l)+": role is not an aws_iam_role of its own (created beside it)")
			continue
		}
		users[refs[0]] = append(users[refs[0]], l.Labels[1])
	}
	for role, fns := range users {
		if len(fns) > 1 {
			sort.Strings(fns)
			found = append(found, fmt.Sprintf("%s: aws_iam_role.%s is shared by functions %s", m.dir, role, strings.Join(fns, ", ")))
		}
	}
	sort.Strings(found)
	return found
}

// checkIAM: no statement has "*" for both action and resource, in aws_iam_policy_document
// data sources and in policies written as JSON; and no Allow statement of a policy
// document grants a wildcard action ("*", "s3:*", "kms:Get*"): least privilege names
// each action.
func checkIAM(mods map[string]*module) []string {
	var found []string
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, d := range m.blocks("data", "aws_iam_policy_document") {
			for i, st := range nested(d.Body, "statement") {
				acts := m.attrStrings(st, "actions", "not_actions")
				res := m.attrStrings(st, "resources", "not_resources")
				if slices.Contains(acts, "*") && slices.Contains(res, "*") {
					found = append(found, fmt.Sprintf("%s: statement %d has \"*\" as action and resource", m.where(d), i+1))
				}
				effect, _ := literalString(st.Attributes["effect"])
				if effect != "Deny" && slices.ContainsFunc(acts, func(a string) bool { return strings.Contains(a, "*") }) {
					found = append(found, fmt.Sprintf("%s: statement %d allows a wildcard action %v", m.where(d), i+1, acts))
				}
			}
		}
		for _, b := range append(m.blocks("resource", ""), m.blocks("data", "")...) {
			for _, name := range []string{"policy", "assume_role_policy"} {
				a := b.Body.Attributes[name]
				if a == nil {
					continue
				}
				for i, st := range m.jsonStatements(a.Expr) {
					if slices.Contains(st[0], "*") && slices.Contains(st[1], "*") {
						found = append(found, fmt.Sprintf("%s: %s statement %d has \"*\" as action and resource", m.where(b), name, i+1))
					}
				}
			}
		}
	}
	return found
}

func (m *module) attrStrings(body *hclsyntax.Body, names ...string) []string {
	var out []string
	for _, n := range names {
		if a := body.Attributes[n]; a != nil {
			out = append(out, m.literalStrings(a.Expr)...)
		}
	}
	return out
}

var kmsKeyTypes = []string{"aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"}

// checkKMS: KMS keys are declared in the tenant module (so each tenant has its own), but
// for the allowed exceptions; symmetric keys rotate, asymmetric keys do not claim to.
func checkKMS(mods map[string]*module, tenantDir string, allowed map[string]string) []string {
	var found []string
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, typ := range kmsKeyTypes {
			for _, k := range m.blocks("resource", typ) {
				id := fmt.Sprintf("%s:%s.%s", filepath.ToSlash(dir), typ, k.Labels[1])
				if dir != tenantDir && allowed[id] == "" {
					found = append(found, m.where(k)+": KMS key outside the tenant module (not per tenant)")
				}
				if typ == "aws_kms_key" {
					found = append(found, rotation(m, k)...)
				}
			}
		}
	}
	return found
}

func rotation(m *module, k *hclsyntax.Block) []string {
	spec, _ := literalString(k.Body.Attributes["customer_master_key_spec"])
	if s, ok := literalString(k.Body.Attributes["key_spec"]); ok {
		spec = s
	}
	usage, _ := literalString(k.Body.Attributes["key_usage"])
	symmetric := (spec == "" || spec == "SYMMETRIC_DEFAULT") && (usage == "" || usage == "ENCRYPT_DECRYPT")
	rotates := literalTrue(k.Body.Attributes["enable_key_rotation"])
	switch {
	case symmetric && !rotates:
		return []string{m.where(k) + ": symmetric key without enable_key_rotation = true"}
	case !symmetric && rotates:
		return []string{m.where(k) + ": automatic rotation is not available for an asymmetric key"}
	}
	return nil
}

// checkBuckets: every bucket blocks public access, keeps versions and encrypts with SSE-KMS.
func checkBuckets(mods map[string]*module) []string {
	var found []string
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, b := range m.blocks("resource", "aws_s3_bucket") {
			name := b.Labels[1]
			if !m.bucketHas(name, "aws_s3_bucket_public_access_block", func(body *hclsyntax.Body) bool {
				return literalTrue(body.Attributes["block_public_acls"]) && literalTrue(body.Attributes["block_public_policy"]) &&
					literalTrue(body.Attributes["ignore_public_acls"]) && literalTrue(body.Attributes["restrict_public_buckets"])
			}) {
				found = append(found, m.where(b)+": public access not blocked (all four settings true)")
			}
			if !m.bucketHas(name, "aws_s3_bucket_versioning", func(body *hclsyntax.Body) bool {
				s, _ := literalString(attrAt(body, "versioning_configuration", "status"))
				return s == "Enabled"
			}) {
				found = append(found, m.where(b)+": versioning not Enabled")
			}
			if !m.bucketHas(name, "aws_s3_bucket_server_side_encryption_configuration", func(body *hclsyntax.Body) bool {
				s, _ := literalString(attrAt(body, "rule", "apply_server_side_encryption_by_default", "sse_algorithm"))
				return s == "aws:kms" || s == "aws:kms:dsse"
			}) {
				found = append(found, m.where(b)+": no SSE-KMS default encryption")
			}
		}
	}
	return found
}

// bucketHas reports whether a resource of typ for bucket name satisfies ok.
func (m *module) bucketHas(name, typ string, ok func(*hclsyntax.Body) bool) bool {
	for _, r := range m.blocks("resource", typ) {
		if a := r.Body.Attributes["bucket"]; a != nil && refersTo(a.Expr, "aws_s3_bucket", name) && ok(r.Body) {
			return true
		}
	}
	return false
}

// checkTables: every table has the schema of dynamo.CreateTableInput, TTL on ttlAttr and
// point-in-time recovery.
func checkTables(mods map[string]*module, schema *dynamodb.CreateTableInput, ttlAttr string) []string {
	var found []string
	want := tableShape{billing: string(schema.BillingMode)}
	for _, k := range schema.KeySchema {
		want.keys = append(want.keys, string(k.KeyType)+"="+aws.ToString(k.AttributeName))
	}
	for _, a := range schema.AttributeDefinitions {
		want.attrs = append(want.attrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, l := range schema.LocalSecondaryIndexes {
		want.lsis = append(want.lsis, aws.ToString(l.IndexName)+"/"+aws.ToString(l.KeySchema[1].AttributeName)+"/"+string(l.Projection.ProjectionType))
	}
	want.sort()
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, t := range m.blocks("resource", "aws_dynamodb_table") {
			got := shapeOf(t.Body)
			if d := want.diff(got); d != "" {
				found = append(found, m.where(t)+": not dynamo.CreateTableInput's schema: "+d)
			}
			if !literalTrue(attrAt(t.Body, "point_in_time_recovery", "enabled")) {
				found = append(found, m.where(t)+": point-in-time recovery not enabled")
			}
			if n, _ := literalString(attrAt(t.Body, "ttl", "attribute_name")); n != ttlAttr || !literalTrue(attrAt(t.Body, "ttl", "enabled")) {
				found = append(found, fmt.Sprintf("%s: TTL not enabled on %q", m.where(t), ttlAttr))
			}
		}
	}
	return found
}

type tableShape struct {
	billing           string
	keys, attrs, lsis []string
}

func (s *tableShape) sort() {
	sort.Strings(s.keys)
	sort.Strings(s.attrs)
	sort.Strings(s.lsis)
}

func (s tableShape) diff(got tableShape) string {
	var d []string
	if s.billing != got.billing {
		d = append(d, fmt.Sprintf("billing_mode %q, want %q", got.billing, s.billing))
	}
	for _, c := range []struct {
		what      string
		want, got []string
	}{{"keys", s.keys, got.keys}, {"attributes", s.attrs, got.attrs}, {"local secondary indexes", s.lsis, got.lsis}} {
		if !slices.Equal(c.want, c.got) {
			d = append(d, fmt.Sprintf("%s %v, want %v", c.what, c.got, c.want))
		}
	}
	return strings.Join(d, "; ")
}

func shapeOf(body *hclsyntax.Body) tableShape {
	str := func(b *hclsyntax.Body, n string) string { s, _ := literalString(b.Attributes[n]); return s }
	s := tableShape{billing: str(body, "billing_mode")}
	if h := str(body, "hash_key"); h != "" {
		s.keys = append(s.keys, "HASH="+h)
	}
	if r := str(body, "range_key"); r != "" {
		s.keys = append(s.keys, "RANGE="+r)
	}
	for _, a := range nested(body, "attribute") {
		s.attrs = append(s.attrs, str(a, "name")+":"+str(a, "type"))
	}
	for _, l := range nested(body, "local_secondary_index") {
		s.lsis = append(s.lsis, str(l, "name")+"/"+str(l, "range_key")+"/"+str(l, "projection_type"))
	}
	s.sort()
	return s
}

// checkObservability: log groups keep logs for a set time; every function logs to its
// own log group and has an error alarm; every DLQ has a depth alarm and every other queue
// a redrive policy.
func checkObservability(mods map[string]*module) []string {
	var found []string
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, g := range m.blocks("resource", "aws_cloudwatch_log_group") {
			if g.Body.Attributes["retention_in_days"] == nil {
				found = append(found, m.where(g)+": no retention_in_days")
			}
		}
		for _, l := range m.blocks("resource", "aws_lambda_function") {
			lg := attrAt(l.Body, "logging_config", "log_group")
			if lg == nil || len(references(lg.Expr, "aws_cloudwatch_log_group")) == 0 {
				found = append(found, m.where(l)+": does not log to an aws_cloudwatch_log_group of its module")
			}
			if !m.alarmOn("aws_lambda_function", l.Labels[1], "Errors") {
				found = append(found, m.where(l)+": no alarm on its Errors metric")
			}
		}
		dlqs := map[string]bool{}
		for _, q := range m.blocks("resource", "aws_sqs_queue") {
			if a := q.Body.Attributes["redrive_policy"]; a != nil {
				for _, n := range references(a.Expr, "aws_sqs_queue") {
					dlqs[n] = true
				}
			}
		}
		for _, q := range m.blocks("resource", "aws_sqs_queue") {
			name := q.Labels[1]
			switch {
			case dlqs[name] && !m.alarmOn("aws_sqs_queue", name, "ApproximateNumberOfMessagesVisible"):
				found = append(found, m.where(q)+": DLQ without a depth alarm")
			case !dlqs[name] && q.Body.Attributes["redrive_policy"] == nil:
				found = append(found, m.where(q)+": queue without a DLQ (redrive_policy)")
			}
		}
	}
	return found
}

// alarmOn reports whether a metric alarm of the module watches metric with a dimension
// referencing typ.name.
func (m *module) alarmOn(typ, name, metric string) bool {
	for _, a := range m.blocks("resource", "aws_cloudwatch_metric_alarm") {
		mn, _ := literalString(a.Body.Attributes["metric_name"])
		d := a.Body.Attributes["dimensions"]
		if mn == metric && d != nil && refersTo(d.Expr, typ, name) {
			return true
		}
	}
	return false
}

var msgPattern = regexp.MustCompile(`\$\.msg\s*=\s*"([^"]*)"`)

// checkLogMessages: every message a log metric filter counts is a string the Go code has
// (so an alarm cannot silently stop counting when a log message changes).
func checkLogMessages(mods map[string]*module, goStrings map[string]bool) []string {
	var found []string
	hasLetter := regexp.MustCompile(`[A-Za-z]`)
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, f := range m.blocks("resource", "aws_cloudwatch_log_metric_filter") {
			var msgs []string
			if a := f.Body.Attributes["pattern"]; a != nil {
				for _, s := range m.literalStrings(a.Expr) {
					if strings.Contains(s, "$.") {
						for _, sm := range msgPattern.FindAllStringSubmatch(s, -1) {
							msgs = append(msgs, sm[1])
						}
					} else if hasLetter.MatchString(s) {
						msgs = append(msgs, s)
					}
				}
			}
			if len(msgs) == 0 {
				found = append(found, m.where(f)+": pattern names no log message")
			}
			for _, s := range msgs {
				if !goStrings[s] {
					found = append(found, fmt.Sprintf("%s: counts log message %q, which no Go code under core/, infra/, internal/ has", m.where(f), s))
				}
			}
		}
	}
	return found
}

// checkDocs: every variable has a description and a type, every output a description.
func checkDocs(mods map[string]*module) []string {
	var found []string
	for _, dir := range sortedDirs(mods) {
		m := mods[dir]
		for _, v := range m.blocks("variable", "") {
			if _, ok := literalString(v.Body.Attributes["description"]); !ok {
				found = append(found, m.where(v)+": no description")
			}
			if v.Body.Attributes["type"] == nil {
				found = append(found, m.where(v)+": no type")
			}
		}
		for _, o := range m.blocks("output", "") {
			if _, ok := literalString(o.Body.Attributes["description"]); !ok {
				found = append(found, m.where(o)+": no description")
			}
		}
	}
	return found
}
