# The backstop of the wake-up signals (docs/design/functions.md): every few minutes
# EventBridge Scheduler sends the tenant's queue a signal {"tenant","due"}, so a lost
# signal or an item due more than SQS's 15-minute delay ahead is still found.

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.name}-backstop"
  description        = "EventBridge Scheduler: send ${var.tenant}'s backstop wake-up signal."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.work.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${local.name}-backstop"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "backstop" {
  name                = "${local.name}-backstop"
  group_name          = var.region.schedule_group
  schedule_expression = "rate(${var.region.backstop_interval_minutes} minutes)"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sqs_queue.work.arn
    role_arn = aws_iam_role.scheduler.arn
    # sqsqueue.Signal; Scheduler substitutes the context attribute with the run's time.
    input = jsonencode({ tenant = var.tenant, due = "<aws.scheduler.scheduled-time>" })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 300
    }
  }
}
