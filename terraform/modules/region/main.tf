# The region: what a regional operator runs once for all its municipalities — the shared
# AS4 endpoint (API Gateway HTTP API on a custom domain with mutual TLS), the public API
# domain (SDK API routes of every tenant, SMP, address book), the SMP and address book
# functions with their table, the buckets of the mTLS truststore and of the edge front
# door, the alarm topic and the schedule group of the tenants' backstop schedules.
# Everything that holds a municipality's data or keys is in the tenant module.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  tags       = merge(var.tags, { "brevduva:region" = var.name_prefix })
}

# Not encrypted with the AWS managed aws/sns key: CloudWatch alarms cannot publish to a
# topic under that key (its policy cannot grant cloudwatch.amazonaws.com). Alarm
# notifications carry alarm names and states, no message content.
resource "aws_sns_topic" "alarms" {
  name = "${var.name_prefix}-alarms"
  tags = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# SMP registrations (SMP#…) and the address book (AB#…): one table for the region.
module "table" {
  source = "../table"
  name   = "${var.name_prefix}-directory"
  tags   = local.tags
}

module "truststore_bucket" {
  source = "../bucket"
  name   = "${var.name_prefix}-${local.account_id}-truststore"
  tags   = local.tags
}

# Large AS4 messages the edge front door (issue 8, edge/) streams in below inbound/
# (edge/byref.KeyPrefix); the receiving tenant's as4-receive reads and deletes each one.
# The lifecycle rule removes what a crash leaves behind.
module "large_message_bucket" {
  source            = "../bucket"
  name              = "${var.name_prefix}-${local.account_id}-as4-incoming"
  expire_after_days = var.large_message_retention_days
  expire_prefix     = "inbound/"
  noncurrent_days   = 1
  tags              = local.tags
}

resource "aws_scheduler_schedule_group" "backstop" {
  name = "${var.name_prefix}-backstop"
  tags = local.tags
}
