output "tenant_context" {
  description = "Everything a tenant module needs from its region; pass it unchanged as the tenant module's `region` input."
  value = {
    name_prefix               = var.name_prefix
    lambda_dir                = var.lambda_dir
    build_dir                 = var.build_dir
    as4_api_id                = aws_apigatewayv2_api.as4.id
    as4_api_execution_arn     = aws_apigatewayv2_api.as4.execution_arn
    as4_base_url              = "https://${var.as4_domain_name}"
    public_api_id             = aws_apigatewayv2_api.public.id
    public_api_execution_arn  = aws_apigatewayv2_api.public.execution_arn
    public_base_url           = "https://${var.api_domain_name}"
    large_message_bucket      = module.large_message_bucket.id
    large_message_bucket_arn  = module.large_message_bucket.arn
    large_message_prefix      = local.large_message_prefix
    schedule_group            = aws_scheduler_schedule_group.backstop.name
    backstop_interval_minutes = var.backstop_interval_minutes
    alarm_topic_arn           = aws_sns_topic.alarms.arn
    log_retention_days        = var.log_retention_days
    log_level                 = var.log_level
    sml_zone                  = var.sml_zone
    dns_server                = var.dns_server
    crl_urls                  = var.crl_urls
    oauth_issuer              = var.oauth_issuer
    oauth_public_key          = var.oauth_public_key
    ap_trust_pem              = var.trust_pem.ap
    tls_roots_pem             = var.trust_pem.tls_roots
    smp_roots_pem             = var.trust_pem.smp_roots
    o2o_trust_pem             = var.trust_pem.o2o
    tags                      = local.tags
  }
}

output "as4_domain" {
  description = "The AS4 custom domain: point as4_domain_name at target_domain_name (alias/CNAME) unless route53_zone_id was given."
  value = {
    name               = aws_apigatewayv2_domain_name.as4.domain_name
    target_domain_name = aws_apigatewayv2_domain_name.as4.domain_name_configuration[0].target_domain_name
    hosted_zone_id     = aws_apigatewayv2_domain_name.as4.domain_name_configuration[0].hosted_zone_id
  }
}

output "api_domain" {
  description = "The public API custom domain (SDK API, SMP, address book) and its DNS target."
  value = {
    name               = aws_apigatewayv2_domain_name.public.domain_name
    target_domain_name = aws_apigatewayv2_domain_name.public.domain_name_configuration[0].target_domain_name
    hosted_zone_id     = aws_apigatewayv2_domain_name.public.domain_name_configuration[0].hosted_zone_id
  }
}

output "smp_url" {
  description = "Public URL of the SMP (what the SML/BDXL NAPTR records of the region's participants point to)."
  value       = "https://${var.api_domain_name}${local.smp_base_path}"
}

output "addressbook_url" {
  description = "Base URL of the address book API."
  value       = "https://${var.api_domain_name}${local.addressbook_base_path}"
}

output "smp_signing_key" {
  description = "The SMP signing KMS key (origin EXTERNAL): import the key material of the SMP certificate into it (README)."
  value = {
    arn   = aws_kms_external_key.smp_sign.arn
    alias = aws_kms_alias.smp_sign.name
  }
}

output "truststore" {
  description = "The mutual TLS truststore object of the AS4 domain and its current version."
  value = {
    uri     = "s3://${aws_s3_object.truststore.bucket}/${aws_s3_object.truststore.key}"
    version = aws_s3_object.truststore.version_id
  }
}

output "edge" {
  description = "Hooks for the edge front door (issue 8): origins, the large-message bucket and the prefix the Worker stages below, and the IAM policy its S3 credentials need. Each tenant's by-ref route is in the tenant module's edge output."
  value = {
    as4_origin            = "https://${var.as4_domain_name}"
    api_origin            = "https://${var.api_domain_name}"
    large_message_bucket  = module.large_message_bucket.id
    large_message_prefix  = local.large_message_prefix
    front_door_policy_arn = aws_iam_policy.edge.arn
    aws_region            = local.region
  }
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm of the region and its tenants notifies."
  value       = aws_sns_topic.alarms.arn
}

output "table_name" {
  description = "The region's DynamoDB table (SMP registrations, address book)."
  value       = module.table.name
}
