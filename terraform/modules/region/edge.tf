# Hooks for the edge front door (issue 8, edge/): a streaming front that terminates mutual
# TLS itself, streams a large AS4 message into the large-message bucket below inbound/
# (edge/byref.KeyPrefix) and posts a signed reference to it to the tenant's as4-receive
# (POST /TENANT/as4/by-ref on the AS4 domain, module tenant). This policy is what the
# front's S3 credentials need; attach it to the IAM identity whose access key the Worker
# holds (S3_ACCESS_KEY_ID; not created here).

locals {
  large_message_prefix = "inbound/"
}

data "aws_iam_policy_document" "edge" {
  statement {
    sid       = "StreamLargeMessagesIn"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]
    resources = ["${module.large_message_bucket.arn}/${local.large_message_prefix}*"]
  }
}

resource "aws_iam_policy" "edge" {
  name        = "${var.name_prefix}-edge-front-door"
  description = "Edge front door of ${var.name_prefix}: stream AS4 messages into the large-message bucket."
  policy      = data.aws_iam_policy_document.edge.json
  tags        = local.tags
}
