variable "name" {
  description = "Bucket name (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "An S3 bucket name is 3 to 63 lower-case letters, digits, dots or hyphens."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the bucket's default SSE-KMS encryption; null uses the AWS managed key aws/s3 (still SSE-KMS)."
  type        = string
  default     = null
}

variable "require_kms_key" {
  description = "Refuse (bucket policy) any PutObject that does not name kms_key_arn: a tenant's payloads can only be encrypted under the tenant's key."
  type        = bool
  default     = false
}

variable "expire_after_days" {
  description = "Delete current objects this many days after creation (null: keep; the engine deletes payloads by its own retention)."
  type        = number
  default     = null
}

variable "expire_prefix" {
  description = "Key prefix the expiry rule applies to (\"\" = whole bucket)."
  type        = string
  default     = ""
}

variable "noncurrent_days" {
  description = "Days a deleted or overwritten object version is kept (versioning is always on)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_days >= 1
    error_message = "Keep noncurrent versions at least one day."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
