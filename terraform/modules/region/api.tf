# Two HTTP APIs: AS4 only on a custom domain with mutual TLS (its execute-api endpoint is
# off, so nothing reaches AS4 without a client certificate from the truststore), and the
# public API (SDK API, SMP, address book) on a second domain without client certificates.
# Tenants add their routes (module tenant).

resource "aws_s3_object" "truststore" {
  bucket       = module.truststore_bucket.id
  key          = "mtls/truststore.pem"
  content      = var.trust_pem.mtls_truststore
  content_type = "application/x-pem-file"
}

resource "aws_apigatewayv2_api" "as4" {
  name                         = "${var.name_prefix}-as4"
  description                  = "AS4 endpoint of the region's access points (mutual TLS on ${var.as4_domain_name})."
  protocol_type                = "HTTP"
  disable_execute_api_endpoint = true
  tags                         = local.tags
}

resource "aws_apigatewayv2_api" "public" {
  name          = "${var.name_prefix}-api"
  description   = "SDK API of every tenant, SMP and address book on ${var.api_domain_name}."
  protocol_type = "HTTP"
  tags          = local.tags
}

locals {
  apis = {
    as4    = aws_apigatewayv2_api.as4
    public = aws_apigatewayv2_api.public
  }
}

resource "aws_cloudwatch_log_group" "access" {
  for_each          = local.apis
  name              = "/aws/apigateway/${each.value.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_apigatewayv2_stage" "default" {
  for_each    = local.apis
  api_id      = each.value.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = 200
    throttling_rate_limit  = 100
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[each.key].arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      time           = "$context.requestTime"
      method         = "$context.httpMethod"
      path           = "$context.path"
      status         = "$context.status"
      bytes          = "$context.responseLength"
      latencyMs      = "$context.responseLatency"
      integrationErr = "$context.integrationErrorMessage"
      clientCertCN   = "$context.identity.clientCert.subjectDN"
    })
  }

  tags = local.tags
}

resource "aws_apigatewayv2_domain_name" "as4" {
  domain_name = var.as4_domain_name

  domain_name_configuration {
    certificate_arn                        = var.as4_certificate_arn
    ownership_verification_certificate_arn = var.as4_ownership_verification_certificate_arn
    endpoint_type                          = "REGIONAL"
    security_policy                        = "TLS_1_2"
  }

  mutual_tls_authentication {
    truststore_uri     = "s3://${aws_s3_object.truststore.bucket}/${aws_s3_object.truststore.key}"
    truststore_version = aws_s3_object.truststore.version_id
  }

  tags = local.tags
}

resource "aws_apigatewayv2_domain_name" "public" {
  domain_name = var.api_domain_name

  domain_name_configuration {
    certificate_arn = var.api_certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = local.tags
}

locals {
  domains = {
    as4    = aws_apigatewayv2_domain_name.as4
    public = aws_apigatewayv2_domain_name.public
  }
}

resource "aws_apigatewayv2_api_mapping" "this" {
  for_each    = local.apis
  api_id      = each.value.id
  domain_name = local.domains[each.key].id
  stage       = aws_apigatewayv2_stage.default[each.key].id
}

resource "aws_route53_record" "this" {
  for_each = var.route53_zone_id == null ? {} : local.domains
  zone_id  = var.route53_zone_id
  name     = each.value.domain_name
  type     = "A"

  alias {
    name                   = each.value.domain_name_configuration[0].target_domain_name
    zone_id                = each.value.domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}
