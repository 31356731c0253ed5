# The region's SMP (SMP1 with CertPub) and the SDK address book: one deployment each for
# all tenants, on the region's table, behind the public API.

# The SMP signing key. Its key material is imported (README: certificates), like the
# tenants' AP and O2O keys, so one procedure covers every certificate; it only signs.
resource "aws_kms_external_key" "smp_sign" {
  description             = "${var.name_prefix}: SMP signing key (SignedServiceMetadata)"
  key_usage               = "SIGN_VERIFY"
  key_spec                = var.rsa_key_spec
  deletion_window_in_days = 30
  tags                    = local.tags
}

resource "aws_kms_alias" "smp_sign" {
  name          = "alias/${var.name_prefix}-smp-sign"
  target_key_id = aws_kms_external_key.smp_sign.id
}

module "smp_certs" {
  source    = "../certs"
  name      = "${var.name_prefix}-smp-certs"
  build_dir = var.build_dir
  files     = { "smp-cert.pem" = var.smp_cert_pem }
}

data "aws_secretsmanager_secret_version" "smp_admin" {
  secret_id = var.smp_admin_token_secret_arn
}

data "aws_secretsmanager_secret_version" "addressbook_admin" {
  secret_id = var.addressbook_admin_token_secret_arn
}

locals {
  smp_base_path         = "/smp"
  addressbook_base_path = "/addressbook"
  # Items a directory function may touch: dynamodb:LeadingKeys of its partition tag.
  table_resources = [module.table.arn, "${module.table.arn}/index/*"]
}

data "aws_iam_policy_document" "smp" {
  statement {
    sid       = "SMPRegistrations"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = local.table_resources

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["SMP#*"]
    }
  }

  statement {
    sid       = "SignWithTheSMPKey"
    actions   = ["kms:Sign", "kms:GetPublicKey"]
    resources = [aws_kms_external_key.smp_sign.arn]
  }
}

module "smp" {
  source      = "../function"
  name        = "${var.name_prefix}-smp"
  package     = "smp"
  description = "SMP1 with CertPub of ${var.name_prefix}"
  lambda_dir  = var.lambda_dir
  layers      = [module.smp_certs.arn]
  policy_json = data.aws_iam_policy_document.smp.json
  timeout     = 10
  memory_size = 256
  environment = {
    BREVDUVA_TABLE           = module.table.name
    BREVDUVA_SMP_BASE_URL    = "https://${var.api_domain_name}${local.smp_base_path}"
    BREVDUVA_SMP_KEY         = "kms:${aws_kms_external_key.smp_sign.arn}"
    BREVDUVA_SMP_CERT        = module.smp_certs.paths["smp-cert.pem"]
    BREVDUVA_SMP_ADMIN_TOKEN = data.aws_secretsmanager_secret_version.smp_admin.secret_string
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = [aws_sns_topic.alarms.arn]
  tags               = local.tags
}

module "smp_routes" {
  source            = "../http_route"
  api_id            = aws_apigatewayv2_api.public.id
  api_execution_arn = aws_apigatewayv2_api.public.execution_arn
  function_name     = module.smp.function_name
  invoke_arn        = module.smp.invoke_arn
  route_keys        = ["ANY ${local.smp_base_path}/{proxy+}"]
}

data "aws_iam_policy_document" "addressbook" {
  statement {
    sid       = "AddressBookPartitions"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = local.table_resources

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["AB#*"]
    }
  }
}

module "addressbook" {
  source      = "../function"
  name        = "${var.name_prefix}-addressbook"
  package     = "addressbook"
  description = "SDK address book of ${var.name_prefix}"
  lambda_dir  = var.lambda_dir
  policy_json = data.aws_iam_policy_document.addressbook.json
  timeout     = 10
  memory_size = 512
  environment = {
    BREVDUVA_TABLE                   = module.table.name
    BREVDUVA_ADDRESSBOOK_BASE_PATH   = local.addressbook_base_path
    BREVDUVA_ADDRESSBOOK_ADMIN_TOKEN = data.aws_secretsmanager_secret_version.addressbook_admin.secret_string
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = [aws_sns_topic.alarms.arn]
  tags               = local.tags
}

module "addressbook_routes" {
  source            = "../http_route"
  api_id            = aws_apigatewayv2_api.public.id
  api_execution_arn = aws_apigatewayv2_api.public.execution_arn
  function_name     = module.addressbook.function_name
  invoke_arn        = module.addressbook.invoke_arn
  route_keys        = ["ANY ${local.addressbook_base_path}/{proxy+}"]
}
