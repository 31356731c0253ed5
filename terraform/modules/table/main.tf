# The one table schema of Brevduva's DynamoDB adapters, mirroring dynamo.CreateTableInput
# (infra/aws/dynamo/table.go): pk/sk strings, the local secondary indexes "due" (queue
# lease order) and "ord" (mailbox order), projection ALL, on demand; plus TTL on "ttl"
# (duplicate-guard items) and point-in-time recovery. terraform/tfcheck_test.go compares
# this block with dynamo.CreateTableInput.

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "due"
    type = "S"
  }

  attribute {
    name = "ord"
    type = "S"
  }

  local_secondary_index {
    name            = "due"
    range_key       = "due"
    projection_type = "ALL"
  }

  local_secondary_index {
    name            = "ord"
    range_key       = "ord"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
