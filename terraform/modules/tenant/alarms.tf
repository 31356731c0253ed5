# Alarms of the tenant besides each function's error alarm (module function): signals
# in the DLQ, receipt failures counted from the engine's structured JSON logs, and audit
# events the audit trail refused (an EMF metric the functions log).

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${local.name}-work-dlq"
  alarm_description   = "${var.tenant}: wake-up signals reached the DLQ (as4-send failed them ${var.dlq_max_receive_count} times: store errors or signals for another tenant)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.region.alarm_topic_arn]
  ok_actions          = [var.region.alarm_topic_arn]
  tags                = local.tags
}

locals {
  # Messages core/msh logs (slog JSON, field "msg") when a sent message gets no valid
  # AS4 receipt, an ebMS error instead, runs out of retries, or its Meddelandekvittens
  # does not come in time. terraform/tfcheck_test.go checks each string is still logged.
  receipt_failure_messages = ["no valid receipt", "ebms error signal", "retries spent", "no kvittens in time"]
  receipt_metric           = "${local.name}-receipt-failures"
}

resource "aws_cloudwatch_log_metric_filter" "receipt_failures" {
  name           = local.receipt_metric
  log_group_name = module.as4_send.log_group_name
  pattern        = "{ ${join(" || ", [for m in local.receipt_failure_messages : "($.msg = \"${m}\")"])} }"

  metric_transformation {
    namespace     = "Brevduva"
    name          = local.receipt_metric
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "receipt_failures" {
  alarm_name          = local.receipt_metric
  alarm_description   = "${var.tenant}: sent messages without a valid AS4 receipt or Meddelandekvittens (log messages: ${join(", ", local.receipt_failure_messages)})."
  namespace           = "Brevduva"
  metric_name         = local.receipt_metric
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.receipt_failure_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.region.alarm_topic_arn]
  ok_actions          = [var.region.alarm_topic_arn]
  tags                = local.tags

  depends_on = [aws_cloudwatch_log_metric_filter.receipt_failures]
}

# internal/awssys (metrics.go) logs, at the end of every invocation of as4-send,
# as4-receive or sdk-api in which the tenant's audit trail refused events, one CloudWatch
# Embedded Metric Format line: metric AuditFailures (the new refusals) in namespace
# Brevduva with dimension Tenant. CloudWatch Logs extracts it from the functions' log
# groups; no metric filter is needed. One refused event is a gap in the audit trail.
resource "aws_cloudwatch_metric_alarm" "audit_failures" {
  alarm_name          = "${local.name}-audit-failures"
  alarm_description   = "${var.tenant}: the audit trail refused events (no message was lost; the trail has a gap). See the functions' logs: \"audit events refused\" and the engine's audit warnings."
  namespace           = "Brevduva"
  metric_name         = "AuditFailures"
  dimensions          = { Tenant = var.tenant }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.region.alarm_topic_arn]
  ok_actions          = [var.region.alarm_topic_arn]
  tags                = local.tags
}
