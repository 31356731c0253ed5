variable "name" {
  description = "DynamoDB table name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "A DynamoDB table name is 3 to 255 letters, digits, '_', '-' or '.'."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the table's encryption at rest (null: DynamoDB's AWS owned key)."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Refuse to delete the table (turn off deliberately before a destroy)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags of the table."
  type        = map(string)
  default     = {}
}
