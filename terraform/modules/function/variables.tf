variable "name" {
  description = "Name of the Lambda function, its IAM role and its log group (/aws/lambda/NAME)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "A Lambda function name is 1 to 64 letters, digits, hyphens or underscores."
  }
}

variable "package" {
  description = "The functions/<package> folder this function deploys: `make lambda` writes bin/lambda/<package>.zip."
  type        = string

  validation {
    condition     = contains(["as4-receive", "as4-send", "sdk-api", "smp", "addressbook"], var.package)
    error_message = "The package must be one of the folders under functions/: as4-receive, as4-send, sdk-api, smp, addressbook."
  }
}

variable "lambda_dir" {
  description = "Folder holding the zips `make lambda` built (bin/lambda of the repository)."
  type        = string
}

variable "description" {
  description = "What the function does (shown in the Lambda console)."
  type        = string
}

variable "environment" {
  description = "Environment variables of the function (docs/design/functions.md). Lambda allows 4 KB in total, so certificates are files in the layer, not inline PEM."
  type        = map(string)
}

variable "layers" {
  description = "ARNs of Lambda layers (the certificate layer: PEM files below /opt/brevduva)."
  type        = list(string)
  default     = []
}

variable "policy_json" {
  description = "The function's own IAM policy (least privilege, JSON). Writing to its log group is added by this module."
  type        = string
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "A Lambda timeout is 1 to 900 seconds."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU share grows with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "Lambda memory is 128 to 10240 MB."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 means unreserved."
  type        = number
  default     = -1
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires (e.g. the region's SNS topic)."
  type        = list(string)
  default     = []
}

variable "error_alarm_threshold" {
  description = "Function errors (Lambda Errors metric, sum over 5 minutes) at which the error alarm fires."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
