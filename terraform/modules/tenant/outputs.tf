output "as4_endpoint_url" {
  description = "The tenant's AS4 endpoint: register it in the SMP (Endpoint/EndpointURI) for the tenant's participant."
  value       = "${var.region.as4_base_url}${local.as4_path}"
}

output "sdk_api_base_url" {
  description = "Base URL of the tenant's SDK API (DIGG's /sdk-api/v1 below the tenant)."
  value       = "${var.region.public_base_url}${local.sdk_api_base_path}"
}

output "audit_api_base_url" {
  description = "Base URL of the tenant's audit API (core/audit; scope urn:brevduva:api:audit), served by its sdk-api function."
  value       = "${var.region.public_base_url}/${var.tenant}/audit/v1"
}

output "kms_keys" {
  description = "The tenant's KMS keys (ARN and alias). ap-*/o2o-* have origin EXTERNAL: import the key pair of the certificate into both keys of a pair (README)."
  value = merge(
    { for k, key in aws_kms_external_key.asymmetric : k => { arn = key.arn, alias = aws_kms_alias.asymmetric[k].name } },
    { payload = { arn = aws_kms_key.payload.arn, alias = aws_kms_alias.payload.name } }
  )
}

output "functions" {
  description = "The tenant's functions: name, ARN, role and log group of each."
  value = {
    for k, f in { as4-receive = module.as4_receive, as4-send = module.as4_send, sdk-api = module.sdk_api } :
    k => { name = f.function_name, arn = f.function_arn, role = f.role_arn, log_group = f.log_group_name }
  }
}

output "edge" {
  description = "For the tenant's edge Worker (issue 8): its ORIGIN_URL (the Worker appends /as4 and /as4/by-ref), the AS4 URL it fronts and the by-ref URL (null without edge_secret_arn)."
  value = {
    origin_url = "${var.region.as4_base_url}/${var.tenant}"
    as4_url    = "${var.region.as4_base_url}${local.as4_path}"
    by_ref_url = local.edge ? "${var.region.as4_base_url}${local.as4_path}/by-ref" : null
  }
}

output "bucket" {
  description = "The tenant's payload bucket."
  value       = module.payload_bucket.id
}

output "table" {
  description = "The tenant's DynamoDB table."
  value       = module.table.name
}

output "queues" {
  description = "The wake-up queue and its DLQ."
  value = {
    work_url = aws_sqs_queue.work.url
    dlq_url  = aws_sqs_queue.dlq.url
  }
}
