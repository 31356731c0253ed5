# One or more faults for each check of tfcheck_test.go.
resource "aws_iam_role" "shared" {
  name = "shared"
}

locals {
  table = { BREVDUVA_TABLE = "t" }
}

module "receive" {
  source      = "../fn"
  package     = "as4-receive"
  role_arn    = aws_iam_role.shared.arn
  environment = merge(local.table, { BREVDUVA_LOG_LEVEL = "info" })
}

resource "aws_lambda_function" "direct_a" {
  function_name = "a"
  role          = aws_iam_role.shared.arn
  filename      = "bin/lambda/smp.zip"
}

resource "aws_lambda_function" "direct_b" {
  function_name = "b"
  role          = aws_iam_role.shared.arn
  filename      = "bin/lambda/addressbook.zip"

  logging_config {
    log_group = aws_cloudwatch_log_group.no_retention.name
  }
}

resource "aws_lambda_function" "stray" {
  function_name = "c"
  role          = aws_iam_role.stray.arn
  filename      = "bin/lambda/wasm.zip"
}

resource "aws_iam_role" "stray" {
  name = "stray"
}

resource "aws_cloudwatch_metric_alarm" "b_errors" {
  metric_name = "Errors"
  dimensions  = { FunctionName = aws_lambda_function.direct_b.function_name }
}

data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "broad" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::open/*"]
  }

  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::open/*"]
  }
}

resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.shared.id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}

resource "aws_kms_key" "outside" {
  description = "symmetric, not rotated, not in a tenant module"
}

resource "aws_kms_key" "signing" {
  customer_master_key_spec = "RSA_3072"
  key_usage                = "SIGN_VERIFY"
  enable_key_rotation      = true
}

resource "aws_s3_bucket" "open" {
  bucket = "open"
}

resource "aws_s3_bucket_versioning" "open" {
  bucket = aws_s3_bucket.open.id

  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_dynamodb_table" "t" {
  name         = "t"
  billing_mode = "PROVISIONED"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = false
  }
}

resource "aws_sqs_queue" "dlq" {
  name = "dlq"
}

resource "aws_sqs_queue" "work" {
  name           = "work"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 5 })
}

resource "aws_sqs_queue" "lonely" {
  name = "lonely"
}

resource "aws_cloudwatch_log_group" "no_retention" {
  name = "x"
}

resource "aws_cloudwatch_log_metric_filter" "f" {
  name           = "f"
  log_group_name = aws_cloudwatch_log_group.no_retention.name
  pattern        = "{ ($.msg = \"message delivered\") || ($.msg = \"a message nobody logs\") }"
}

output "undocumented" {
  value = 1
}
