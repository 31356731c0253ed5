output "name" {
  description = "Table name (BREVDUVA_TABLE)."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "Table ARN (its indexes are ARN/index/*)."
  value       = aws_dynamodb_table.this.arn
}
