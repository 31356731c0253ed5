# One region with two municipalities, Kommun A and Kommun B, on DIGG's OPEN-TEST
# environment. Certificates are read from pki_dir (README: "Certificates"); the pki/ folder
# beside this file holds public certificates of Brevduva's demo PKI (`brevduva pki demo`)
# so that the example evaluates as it is — replace them with DIGG's and your own.

locals {
  pem = { for f in fileset(var.pki_dir, "*.pem") : trimsuffix(f, ".pem") => file("${var.pki_dir}/${f}") }
}

module "region" {
  source = "../../modules/region"

  name_prefix = "brevduva-ex"
  lambda_dir  = "${var.repo_root}/bin/lambda"
  build_dir   = "${path.root}/.build"

  as4_domain_name     = var.as4_domain_name
  as4_certificate_arn = var.as4_certificate_arn
  api_domain_name     = var.api_domain_name
  api_certificate_arn = var.api_certificate_arn
  route53_zone_id     = var.route53_zone_id

  trust_pem = {
    mtls_truststore = local.pem["mtls-truststore"]
    ap              = local.pem["ap-trust"]
    tls_roots       = local.pem["tls-roots"]
    smp_roots       = local.pem["smp-roots"]
    o2o             = local.pem["o2o-trust"]
  }
  smp_cert_pem = local.pem["smp-cert"]
  sml_zone     = var.sml_zone
  crl_urls     = ["https://test.ca.edelivery.digg.se/crl/aprot.crl"]

  smp_admin_token_secret_arn         = var.smp_admin_token_secret_arn
  addressbook_admin_token_secret_arn = var.addressbook_admin_token_secret_arn
  oauth_issuer                       = var.oauth_issuer
  oauth_public_key                   = var.oauth_public_key

  alarm_email = var.alarm_email
}

module "kommun_a" {
  source = "../../modules/tenant"
  region = module.region.tenant_context

  tenant             = "kommun-a"
  participant        = "0203:kommun-a.se"
  ap_party_id        = "AP0001-BREVDUVA-DEMO"
  function_addresses = ["registrator", "socialtjansten", "barn-och-utbildning"]
  as4_cert_pem       = local.pem["kommun-a-ap-cert"]
  o2o_cert_pem       = local.pem["kommun-a-o2o-cert"]
  edge_secret_arn    = var.kommun_a_edge_secret_arn
}

# Kommun B seals and opens in its case workers' browsers (end-to-end mode): no O2O keys here.
module "kommun_b" {
  source = "../../modules/tenant"
  region = module.region.tenant_context

  tenant             = "kommun-b"
  participant        = "0203:kommun-b.se"
  ap_party_id        = "AP0002-BREVDUVA-DEMO"
  function_addresses = ["registrator", "socialtjansten", "byggnadsnamnden"]
  as4_cert_pem       = local.pem["kommun-b-ap-cert"]
  end_to_end         = true
  oidc = {
    issuer      = "https://login.kommun-b.example.se"
    audience    = "brevduva-web"
    scope_claim = "scp"
  }
  payload_expire_days = 730
}
