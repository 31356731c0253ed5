# The tenant's engine functions: environment (docs/design/functions.md), one
# least-privilege policy each, routes and the SQS trigger.

locals {
  paths                 = module.certs.paths
  sdk_api_base_path     = "/${var.tenant}/sdk-api/v1"
  as4_path              = "/${var.tenant}/as4"
  o2o_sign_arns         = var.end_to_end ? [] : [local.key_arn["o2o-sign"]]
  large_message_objects = "${var.region.large_message_bucket_arn}/${var.region.large_message_prefix}*"
  edge                  = var.edge_secret_arn != null

  # Read by awssys.New in all three functions.
  engine_env = merge(
    {
      BREVDUVA_TENANT                 = var.tenant
      BREVDUVA_PARTICIPANT            = var.participant
      BREVDUVA_AP_PARTY_ID            = var.ap_party_id
      BREVDUVA_FUNCTION_ADDRESSES     = join(",", var.function_addresses)
      BREVDUVA_TABLE                  = module.table.name
      BREVDUVA_BUCKET                 = module.payload_bucket.id
      BREVDUVA_PAYLOAD_KMS_KEY        = aws_kms_key.payload.arn
      BREVDUVA_QUEUE_URL              = aws_sqs_queue.work.url
      BREVDUVA_AS4_KEY                = "kms:${local.key_arn["ap-sign"]},${local.key_arn["ap-decrypt"]}"
      BREVDUVA_AS4_CERT               = local.paths["as4-cert.pem"]
      BREVDUVA_AP_TRUST               = local.paths["ap-trust.pem"]
      BREVDUVA_O2O_TRUST              = local.paths["o2o-trust.pem"]
      BREVDUVA_SML_ZONE               = var.region.sml_zone
      BREVDUVA_SMP_ROOTS              = local.paths["smp-roots.pem"]
      BREVDUVA_TLS_ROOTS              = local.paths["tls-roots.pem"]
      BREVDUVA_LOG_LEVEL              = var.region.log_level
      BREVDUVA_AUDIT_RETENTION_MONTHS = tostring(var.audit_retention_months)
    },
    var.end_to_end ? {} : {
      BREVDUVA_O2O_KEY  = "kms:${local.key_arn["o2o-sign"]},${local.key_arn["o2o-decrypt"]}"
      BREVDUVA_O2O_CERT = local.paths["o2o-cert.pem"]
    },
    var.region.dns_server == null ? {} : { BREVDUVA_DNS_SERVER = var.region.dns_server },
    length(var.region.crl_urls) == 0 ? {} : { BREVDUVA_CRL_URLS = join(",", var.region.crl_urls) },
    var.receipt_timeout == null ? {} : { BREVDUVA_RECEIPT_TIMEOUT = var.receipt_timeout }
  )
}

locals {
  # Access tokens (awssys.Verifier): the region's core/oauth issuer, the municipality's
  # OpenID provider, or both.
  sdk_api_env = merge(
    { BREVDUVA_SDK_API_BASE_PATH = local.sdk_api_base_path },
    var.region.oauth_issuer == null ? {} : {
      BREVDUVA_OAUTH_ISSUER     = var.region.oauth_issuer
      BREVDUVA_OAUTH_PUBLIC_KEY = var.region.oauth_public_key
    },
    var.oidc == null ? {} : {
      for k, v in {
        BREVDUVA_OIDC_ISSUER                   = var.oidc.issuer
        BREVDUVA_OIDC_AUDIENCE                 = var.oidc.audience
        BREVDUVA_OIDC_TENANT_CLAIM             = var.oidc.tenant_claim
        BREVDUVA_OIDC_SCOPE_CLAIM              = var.oidc.scope_claim
        BREVDUVA_OIDC_FUNCTION_ADDRESSES_CLAIM = var.oidc.function_addresses_claim
      } : k => v if v != null
    },
    length(var.cors_origins) == 0 ? {} : { BREVDUVA_CORS_ORIGINS = join(",", var.cors_origins) }
  )
}

data "aws_secretsmanager_secret_version" "edge" {
  count     = local.edge ? 1 : 0
  secret_id = var.edge_secret_arn
}

locals {
  # as4-receive's receive-by-reference endpoint (awssys.ByRefFromEnv): set only with an edge Worker.
  edge_env = local.edge ? {
    BREVDUVA_EDGE_SECRET = data.aws_secretsmanager_secret_version.edge[0].secret_string
    BREVDUVA_EDGE_BUCKET = var.region.large_message_bucket
  } : {}
}

# What every engine function of the tenant needs: its items of the table (LeadingKeys),
# its payload objects, the payload key, the public halves of its keys (read at start),
# and the wake-up queue (signals after enqueue and nack).
data "aws_iam_policy_document" "engine" {
  statement {
    sid       = "TenantItems"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [module.table.arn, "${module.table.arn}/index/*"]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["T#${var.tenant}#*"]
    }
  }

  statement {
    sid       = "TenantPayloads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${module.payload_bucket.arn}/${var.tenant}/*"]
  }

  statement {
    # A HeadObject of a missing payload is 404 (not 403) only with ListBucket: s3store's
    # put-if-absent check relies on it. The bucket is the tenant's own.
    sid       = "TenantPayloadBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.payload_bucket.arn]
  }

  statement {
    sid       = "PayloadKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.payload.arn]
  }

  statement {
    sid       = "PublicKeysAtStart"
    actions   = ["kms:GetPublicKey"]
    resources = values(local.key_arn)
  }

  statement {
    sid       = "WakeUpSignals"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.work.arn]
  }
}

data "aws_iam_policy_document" "as4_receive" {
  source_policy_documents = [data.aws_iam_policy_document.engine.json]

  statement {
    sid       = "SignReceiptsAndSignals"
    actions   = ["kms:Sign"]
    resources = [local.key_arn["ap-sign"]]
  }

  statement {
    sid       = "DecryptInboundAS4"
    actions   = ["kms:Decrypt"]
    resources = [local.key_arn["ap-decrypt"]]
  }

  dynamic "statement" {
    for_each = local.edge ? [local.large_message_objects] : []

    content {
      sid       = "LargeMessagesFromTheEdge"
      actions   = ["s3:GetObject", "s3:DeleteObject"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "as4_send" {
  source_policy_documents = [data.aws_iam_policy_document.engine.json]

  statement {
    sid       = "SignAS4AndKvittens"
    actions   = ["kms:Sign"]
    resources = concat([local.key_arn["ap-sign"]], local.o2o_sign_arns)
  }

  dynamic "statement" {
    for_each = var.end_to_end ? [] : [local.key_arn["o2o-decrypt"]]

    content {
      sid       = "OpenInboundXHE"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "EventSourceMapping"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.work.arn]
  }
}

data "aws_iam_policy_document" "sdk_api" {
  source_policy_documents = [data.aws_iam_policy_document.engine.json]

  dynamic "statement" {
    for_each = local.o2o_sign_arns

    content {
      sid       = "SealSubmissions"
      actions   = ["kms:Sign"]
      resources = [statement.value]
    }
  }
}

module "as4_receive" {
  source             = "../function"
  name               = "${local.name}-as4-receive"
  package            = "as4-receive"
  description        = "AS4 receive (C3) of ${var.tenant}"
  lambda_dir         = var.region.lambda_dir
  layers             = [module.certs.arn]
  policy_json        = data.aws_iam_policy_document.as4_receive.json
  environment        = merge(local.engine_env, local.edge_env)
  timeout            = 29
  memory_size        = var.memory_size
  log_retention_days = var.region.log_retention_days
  alarm_actions      = [var.region.alarm_topic_arn]
  tags               = local.tags
}

module "as4_send" {
  source             = "../function"
  name               = "${local.name}-as4-send"
  package            = "as4-send"
  description        = "Worker of ${var.tenant}: AS4 sends and MT deliveries (SQS wake-up signals)"
  lambda_dir         = var.region.lambda_dir
  layers             = [module.certs.arn]
  policy_json        = data.aws_iam_policy_document.as4_send.json
  environment        = local.engine_env
  timeout            = var.worker_timeout
  memory_size        = var.memory_size
  log_retention_days = var.region.log_retention_days
  alarm_actions      = [var.region.alarm_topic_arn]
  tags               = local.tags
}

module "sdk_api" {
  source             = "../function"
  name               = "${local.name}-sdk-api"
  package            = "sdk-api"
  description        = "SDK API (MT/MK) of ${var.tenant}"
  lambda_dir         = var.region.lambda_dir
  layers             = [module.certs.arn]
  policy_json        = data.aws_iam_policy_document.sdk_api.json
  environment        = merge(local.engine_env, local.sdk_api_env)
  timeout            = 29
  memory_size        = var.memory_size
  log_retention_days = var.region.log_retention_days
  alarm_actions      = [var.region.alarm_topic_arn]
  tags               = local.tags
}

module "as4_routes" {
  source            = "../http_route"
  api_id            = var.region.as4_api_id
  api_execution_arn = var.region.as4_api_execution_arn
  function_name     = module.as4_receive.function_name
  invoke_arn        = module.as4_receive.invoke_arn
  route_keys        = ["POST ${local.as4_path}"]
}

# The edge Worker's receive-by-reference call: the Worker (edge/front) posts it to its
# ORIGIN_URL + edge/byref.Path, so with ORIGIN_URL https://AS4_DOMAIN/TENANT it arrives at
# /TENANT/as4/by-ref; as4-receive serves it at byref.Path (/as4/by-ref), so the route
# rewrites the path to that (parameter mapping, payload format 2.0).
module "as4_by_ref_routes" {
  count              = local.edge ? 1 : 0
  source             = "../http_route"
  api_id             = var.region.as4_api_id
  api_execution_arn  = var.region.as4_api_execution_arn
  function_name      = module.as4_receive.function_name
  invoke_arn         = module.as4_receive.invoke_arn
  route_keys         = ["POST ${local.as4_path}/by-ref"]
  request_parameters = { "overwrite:path" = "/as4/by-ref" }
}

module "sdk_api_routes" {
  source            = "../http_route"
  api_id            = var.region.public_api_id
  api_execution_arn = var.region.public_api_execution_arn
  function_name     = module.sdk_api.function_name
  invoke_arn        = module.sdk_api.invoke_arn
  route_keys        = ["ANY ${local.sdk_api_base_path}/{proxy+}"]
}

# The tenant's audit API (core/audit), which sdk-api serves at awssys.AuditBasePath
# (/audit/v1) beside the SDK API: reached at /TENANT/audit/v1/..., the path rewritten.
module "audit_routes" {
  source             = "../http_route"
  api_id             = var.region.public_api_id
  api_execution_arn  = var.region.public_api_execution_arn
  function_name      = module.sdk_api.function_name
  invoke_arn         = module.sdk_api.invoke_arn
  route_keys         = ["ANY /${var.tenant}/audit/v1/{proxy+}"]
  request_parameters = { "overwrite:path" = "/audit/v1/$request.path.proxy" }
}

resource "aws_lambda_event_source_mapping" "work" {
  event_source_arn        = aws_sqs_queue.work.arn
  function_name           = module.as4_send.function_arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = 2
  }
}
